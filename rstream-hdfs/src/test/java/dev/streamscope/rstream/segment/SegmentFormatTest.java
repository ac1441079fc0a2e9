package dev.streamscope.rstream.segment;

import static dev.streamscope.rstream.testing.TestFiles.event;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamscope.rstream.StreamEvent;
import dev.streamscope.rstream.testing.FaultyFileSystem;
import dev.streamscope.rstream.testing.TestFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SegmentFormatTest {
  @TempDir java.nio.file.Path temp;
  private FileSystem fs;
  private Path dir;

  @BeforeEach
  void setUp() throws IOException {
    fs = TestFiles.rawLocal();
    dir = new Path(temp.toUri().toString(), "stream");
  }

  /** Writes events [first, first + count) to segment {@code number}; returns each record's offset. */
  private long[] writeSegment(long number, long first, int count) throws IOException {
    long[] offsets = new long[count];
    try (SegmentAppender appender = SegmentAppender.create(fs, dir, "s/1", number, first)) {
      CRC32C crc = new CRC32C();
      for (int i = 0; i < count; i++) {
        StreamEvent e = event(first + i);
        byte[] record = new byte[SegmentFormat.recordBytes(e)];
        assertEquals(record.length, SegmentFormat.encodeRecord(e, record, 0, crc));
        offsets[i] = appender.length();
        appender.append(record, 0, record.length);
      }
      appender.flush(FlushMode.HFLUSH);
    }
    return offsets;
  }

  private java.nio.file.Path localFile(long number) {
    return temp.resolve("stream").resolve(SegmentFormat.fileName(number));
  }

  private List<StreamEvent> scanEvents(long number) throws IOException {
    List<StreamEvent> events = new ArrayList<>();
    SegmentScanner.scan(fs, new Path(dir, SegmentFormat.fileName(number)), r -> events.add(r.event()));
    return events;
  }

  @Test
  void recordsRoundTripWithTheirKinds() throws IOException {
    writeSegment(3, 100, 40);
    SegmentScan scan = SegmentScanner.scan(fs, new Path(dir, SegmentFormat.fileName(3)), null);
    assertEquals("s/1", scan.header().streamId());
    assertEquals(3, scan.number());
    assertEquals(100, scan.firstSeq());
    assertEquals(140, scan.endSeq());
    assertEquals(40, scan.recordCount());
    assertEquals(0, scan.tornBytes());
    assertEquals(Files.size(localFile(3)), scan.validLength());
    List<StreamEvent> events = scanEvents(3);
    for (int i = 0; i < 40; i++) {
      assertTrue(event(100 + i).sameContent(events.get(i)), "seq " + (100 + i));
    }
    assertTrue(events.stream().anyMatch(e -> e.kind() == StreamEvent.Kind.WATERMARK));
  }

  @Test
  void aRecordCutShortIsATornTailNotCorruption() throws IOException {
    long[] offsets = writeSegment(0, 0, 10);
    long cut = offsets[9] + 20; // inside the payload of the last record
    fs.truncate(new Path(dir, SegmentFormat.fileName(0)), cut);
    SegmentScan scan = SegmentScanner.scan(fs, new Path(dir, SegmentFormat.fileName(0)), null);
    assertEquals(9, scan.endSeq());
    assertEquals(offsets[9], scan.validLength());
    assertEquals(20, scan.tornBytes());
  }

  @Test
  void aSegmentCutInsideItsHeaderHasNoHeader() throws IOException {
    writeSegment(0, 0, 1);
    fs.truncate(new Path(dir, SegmentFormat.fileName(0)), 10);
    SegmentScan scan = SegmentScanner.scan(fs, new Path(dir, SegmentFormat.fileName(0)), null);
    assertNull(scan.header());
    assertTrue(scan.tornHeader());
  }

  @Test
  void aFlippedPayloadByteNamesFileOffsetAndBothChecksums() throws IOException {
    long[] offsets = writeSegment(0, 0, 10);
    TestFiles.flipByte(localFile(0), offsets[4] + SegmentFormat.RECORD_HEADER_BYTES + 2);
    CorruptSegmentException error =
        assertThrows(CorruptSegmentException.class, () -> scanEvents(0));
    String message = error.getMessage();
    assertTrue(message.contains(SegmentFormat.fileName(0)), message);
    assertTrue(message.contains("at offset " + offsets[4]), message);
    assertTrue(message.contains("seq 4"), message);
    assertTrue(message.matches("(?s).*expected crc32c 0x[0-9a-f]{8}, actual 0x[0-9a-f]{8}.*"), message);
    assertEquals(offsets[4], error.offset());
  }

  @Test
  void aFlippedLengthByteIsCorruptionNotATornTail() throws IOException {
    long[] offsets = writeSegment(0, 0, 10);
    TestFiles.flipByte(localFile(0), offsets[9] + 10); // the length field of the last record
    CorruptSegmentException error =
        assertThrows(CorruptSegmentException.class, () -> scanEvents(0));
    assertTrue(error.getMessage().contains("record header checksum mismatch"), error.getMessage());
  }

  @Test
  void aFlippedHeaderByteIsCorruption() throws IOException {
    writeSegment(0, 0, 3);
    TestFiles.flipByte(localFile(0), 20); // inside the first seq
    CorruptSegmentException error =
        assertThrows(CorruptSegmentException.class, () -> scanEvents(0));
    assertTrue(error.getMessage().contains("header checksum mismatch"), error.getMessage());
  }

  @Test
  void streamIdsMapToReadableDirectoryNamesAndBack() {
    for (String id : List.of("S1/out0/p0->S2/in0/p1", ".hidden", "a~b", "Ünïcode/ß", "plain-id_1.x")) {
      String name = StreamDirs.encode(id);
      assertTrue(name.matches("[A-Za-z0-9_.~-]+"), name);
      assertTrue(!name.startsWith("."), name);
      assertEquals(id, StreamDirs.decode(name));
    }
    assertEquals("S1~2Fout0~2Fp0-~3ES2~2Fin0~2Fp1", StreamDirs.encode("S1/out0/p0->S2/in0/p1"));
  }

  @Test
  void longStreamIdsGetShortHashedNames() {
    String prefix = "WriteWindows/WriteFiles/GatherTempFileResults/AsPossiblyEmptyList/".repeat(5);
    String a = prefix + "Impulse/out0/p0->Reify/in0/p0";
    String b = prefix + "Impulse/out0/p0->Reify/in0/p1";
    String nameA = StreamDirs.encode(a);
    String nameB = StreamDirs.encode(b);
    assertTrue(nameA.length() <= StreamDirs.NAME_CHARS_MAX, nameA);
    assertTrue(StreamDirs.isHashed(nameA), nameA);
    assertTrue(nameA.startsWith("WriteWindows~2FWriteFiles"), nameA);
    assertTrue(!nameA.equals(nameB), "same prefix, different ids, different names");
    assertThrows(IllegalArgumentException.class, () -> StreamDirs.decode(nameA));
    assertTrue(!StreamDirs.isHashed(StreamDirs.encode("short/id")));
  }

  @Test
  void recoveryTruncatesATornTailAndFindsTheEnd() throws IOException {
    writeSegment(0, 0, 10);
    long[] offsets = writeSegment(1, 10, 10);
    Path last = new Path(dir, SegmentFormat.fileName(1));
    fs.truncate(last, offsets[5] + 3);
    StreamLog log = StreamLog.recover(fs, dir, "s/1", FlushMode.HFLUSH, 1 << 20);
    assertEquals(0, log.floorSeq());
    assertEquals(15, log.endSeq());
    assertEquals(offsets[5], fs.getFileStatus(last).getLen(), "torn tail truncated");
    StreamEvent[] read = log.read(12, 15, 1 << 20);
    assertEquals(3, read.length);
    assertTrue(event(12).sameContent(read[0]));
  }

  @Test
  void recoveryRefusesAHoleBetweenSegments() throws IOException {
    writeSegment(0, 0, 10);
    writeSegment(1, 12, 10);
    CorruptSegmentException error =
        assertThrows(
            CorruptSegmentException.class,
            () -> StreamLog.recover(fs, dir, "s/1", FlushMode.HFLUSH, 1 << 20));
    assertTrue(error.getMessage().contains("hole"), error.getMessage());
  }

  @Test
  void aNewerSegmentSupersedesTheUnacknowledgedTailOfABrokenOne() throws IOException {
    writeSegment(0, 0, 10); // broken after seq 5 was durable: 6..9 were never acknowledged
    writeSegment(1, 6, 10);
    StreamLog log = StreamLog.recover(fs, dir, "s/1", FlushMode.HFLUSH, 1 << 20);
    assertEquals(16, log.endSeq());
    StreamEvent[] fromFirst = log.read(0, 16, 1 << 20);
    assertEquals(6, fromFirst.length, "segment 0 covers [0, 6)");
    StreamEvent[] fromSecond = log.read(6, 16, 1 << 20);
    assertEquals(10, fromSecond.length);
  }

  @Test
  void aSegmentWhoseDeletionFailedIsCollectedLaterNotForgotten() throws IOException {
    // Simulator seed 100: a failed delete made the log forget segment 0 while its file stayed;
    // later collections deleted the segments above it, and recovery found a hole after it.
    FaultyFileSystem faulty = new FaultyFileSystem(fs);
    StreamLog log = StreamLog.create(faulty, dir, "s/1", FlushMode.HFLUSH, 1); // a segment per batch
    for (long seq = 0; seq < 20; seq += 5) {
      log.append(TestFiles::event, seq, seq + 5, Long.MAX_VALUE); // segments 0..3, 5 seqs each
    }
    faulty.failDeletes(true);
    assertThrows(IOException.class, () -> log.deleteBelow(10));
    assertEquals(0, log.floorSeq(), "segment 0 is still the log's");
    faulty.failDeletes(false);
    assertEquals(3, log.deleteBelow(15), "segments 0, 1 and 2, oldest first");
    for (long number = 0; number < 3; number++) {
      assertFalse(Files.exists(localFile(number)), "segment " + number);
    }
    StreamLog recovered = StreamLog.recover(fs, dir, "s/1", FlushMode.HFLUSH, 1);
    assertEquals(15, recovered.floorSeq());
    assertEquals(20, recovered.endSeq());
    assertTrue(event(15).sameContent(recovered.read(15, 20, 1 << 20)[0]));
  }
}
