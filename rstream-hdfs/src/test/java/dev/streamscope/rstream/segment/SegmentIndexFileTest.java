package dev.streamscope.rstream.segment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamscope.rstream.StreamEvent;
import dev.streamscope.rstream.testing.CountingFileSystem;
import dev.streamscope.rstream.testing.TestFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Index sidecars: written for sealed segments, used by recovery, rebuilt when unusable. */
class SegmentIndexFileTest {
  private static final String ID = "A/out0/p0->B/in0/p0";
  private static final long SEGMENT_BYTES = 2 << 20;
  private static final int EVENTS = 7_000; // 1 KiB each: four segments

  @TempDir java.nio.file.Path temp;
  private FileSystem fs;
  private Path dir;
  private int segments;

  /** About 1 KiB, different for every seq. */
  private static StreamEvent big(long seq) {
    ByteBuffer payload = ByteBuffer.allocate(1_000);
    while (payload.hasRemaining()) {
      payload.putLong(seq * 31 + payload.position());
    }
    return StreamEvent.data(seq, payload.array());
  }

  @BeforeEach
  void writeSealedSegments() throws IOException {
    fs = TestFiles.rawLocal();
    dir = new Path(temp.toUri().toString(), "stream");
    StreamLog log = writeLog(fs, dir);
    log.closeActive();
    segments = log.segmentCount();
    assertTrue(segments >= 3, segments + " segments");
  }

  /** Appends every event in batches of 50 (rolling at 2 MiB) to a new log in {@code in}. */
  private static StreamLog writeLog(FileSystem on, Path in) throws IOException {
    StreamLog log = StreamLog.create(on, in, ID, FlushMode.HFLUSH, SEGMENT_BYTES);
    long seq = 0;
    while (seq < EVENTS) {
      seq = log.append(SegmentIndexFileTest::big, seq, Math.min(EVENTS, seq + 50), Long.MAX_VALUE).endSeq();
    }
    return log;
  }

  @Test
  void theWritersOwnIndexLetsAReadAfterEvictionSeekNearItsSeq() throws IOException {
    CountingFileSystem counting = new CountingFileSystem(fs);
    StreamLog log = writeLog(counting, new Path(temp.toUri().toString(), "other"));
    // Still open: the last segment is active, the others sealed; no recovery has run.
    long middle = EVENTS / 2;
    StreamEvent[] read = log.read(middle, EVENTS, 1);
    assertTrue(big(middle).sameContent(read[0]));
    assertTrue(counting.bytesRead() < 256 << 10, "reading one event in a 2 MiB segment read " + counting.bytesRead() + " bytes");
    long before = counting.bytesRead();
    read = log.read(EVENTS - 10, EVENTS, 1);
    assertTrue(big(EVENTS - 10).sameContent(read[0]));
    assertTrue(counting.bytesRead() - before < 256 << 10, "in the active segment too");
  }

  private java.nio.file.Path localFile(long number, String suffix) {
    String name = SegmentFormat.fileName(number);
    return temp.resolve("stream").resolve(name.substring(0, name.length() - SegmentFormat.SEGMENT_SUFFIX.length()) + suffix);
  }

  private java.nio.file.Path sidecar(long number) {
    return localFile(number, SegmentIndexFile.SUFFIX);
  }

  private java.nio.file.Path segment(long number) {
    return localFile(number, SegmentFormat.SEGMENT_SUFFIX);
  }

  private StreamLog recover(FileSystem on) throws IOException {
    return StreamLog.recover(on, dir, ID, FlushMode.HFLUSH, SEGMENT_BYTES);
  }

  /** Reads every seq in blocks and checks each. */
  private static void assertAllReadable(StreamLog log, long endSeq) throws IOException {
    long seq = 0;
    while (seq < endSeq) {
      StreamEvent[] block = log.read(seq, endSeq, 64 << 10);
      for (StreamEvent event : block) {
        assertTrue(big(seq).sameContent(event), "seq " + seq);
        seq++;
      }
    }
  }

  /** The offset of the record of {@code seq} in segment {@code number}. */
  private long recordOffset(long number, long seq) throws IOException {
    long[] offset = {-1};
    SegmentScanner.scan(fs, new Path(dir, SegmentFormat.fileName(number)), r -> {
      if (r.seq() == seq) {
        offset[0] = r.recordOffset();
      }
    });
    assertTrue(offset[0] >= 0);
    return offset[0];
  }

  @Test
  void recoveryTakesSealedSegmentsFromTheirSidecarsAndAReadSeeksNearItsSeq() throws IOException {
    long totalBytes = 0;
    for (int n = 0; n < segments; n++) {
      assertTrue(Files.exists(sidecar(n)), "segment " + n + " has a sidecar");
      totalBytes += Files.size(segment(n));
    }
    CountingFileSystem counting = new CountingFileSystem(fs);
    StreamLog log = recover(counting);
    assertEquals(segments, log.indexedAtRecovery());
    assertEquals(0, log.floorSeq());
    assertEquals(EVENTS, log.endSeq());
    long recoveryBytes = counting.bytesRead();
    assertTrue(recoveryBytes < totalBytes / 100, "recovery read " + recoveryBytes + " of " + totalBytes + " bytes");

    long middle = EVENTS / 2;
    StreamEvent[] read = log.read(middle, EVENTS, 1);
    assertTrue(big(middle).sameContent(read[0]));
    long readBytes = counting.bytesRead() - recoveryBytes;
    assertTrue(readBytes < 256 << 10, "reading one event in a 2 MiB segment read " + readBytes + " bytes");
    assertAllReadable(log, EVENTS);
  }

  @Test
  void aMissingSidecarIsRebuiltByAScan() throws IOException {
    Files.delete(sidecar(1));
    CountingFileSystem counting = new CountingFileSystem(fs);
    StreamLog log = recover(counting);
    assertEquals(segments - 1, log.indexedAtRecovery());
    assertTrue(counting.bytesRead() >= Files.size(segment(1)), "segment 1 was scanned");
    assertEquals(EVENTS, log.endSeq());
    assertAllReadable(log, EVENTS);
    assertTrue(Files.exists(sidecar(1)), "written again");
    assertEquals(segments, recover(fs).indexedAtRecovery());
  }

  @Test
  void aCorruptSidecarIsRebuiltByAScan() throws IOException {
    TestFiles.flipByte(sidecar(2), SegmentIndexFile.FIXED_BYTES + 3); // inside an entry's seq
    StreamLog log = recover(fs);
    assertEquals(segments - 1, log.indexedAtRecovery());
    assertEquals(EVENTS, log.endSeq());
    assertAllReadable(log, EVENTS);
    assertEquals(segments, recover(fs).indexedAtRecovery(), "the rewritten sidecar is used");
  }

  @Test
  void theSidecarOfAnotherSegmentIsNotUsed() throws IOException {
    Files.copy(sidecar(0), sidecar(1), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    StreamLog log = recover(fs);
    assertEquals(segments - 1, log.indexedAtRecovery());
    assertAllReadable(log, EVENTS);
  }

  @Test
  void aSegmentShorterThanItsSidecarSaysIsScannedAndItsTornTailCut() throws IOException {
    long last = segments - 1;
    long cut = recordOffset(last, EVENTS - 3) + 100; // inside the record of seq EVENTS - 3
    fs.truncate(new Path(dir, SegmentFormat.fileName(last)), cut);
    StreamLog log = recover(fs);
    assertEquals(segments - 1, log.indexedAtRecovery());
    assertEquals(EVENTS - 3, log.endSeq(), "the sidecar's end seq is not trusted");
    assertAllReadable(log, EVENTS - 3);
  }

  @Test
  void aCorruptRecordInASealedSegmentSurfacesWhenRead() throws IOException {
    long seq = 1_500;
    long offset = recordOffset(0, seq);
    TestFiles.flipByte(segment(0), offset + SegmentFormat.RECORD_HEADER_BYTES + 10);
    StreamLog log = recover(fs);
    assertEquals(segments, log.indexedAtRecovery(), "a sealed segment is not scanned at recovery");
    CorruptSegmentException error =
        assertThrows(CorruptSegmentException.class, () -> log.read(seq - 5, EVENTS, 64 << 10));
    assertTrue(error.getMessage().contains(SegmentFormat.fileName(0)), error.getMessage());
    assertEquals(offset, error.offset());
  }

  @Test
  void garbageCollectionDeletesSidecarsWithTheirSegments() throws IOException {
    StreamLog log = recover(fs);
    int last = segments - 1;
    assertEquals(last, log.deleteBelow(EVENTS - 1), "all but the last segment");
    for (int n = 0; n < last; n++) {
      assertFalse(Files.exists(segment(n)));
      assertFalse(Files.exists(sidecar(n)), "sidecar " + n);
    }
    assertTrue(Files.exists(sidecar(last)));
  }
}
