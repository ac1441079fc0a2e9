package dev.streamscope.runner.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamscope.rstream.StreamEvent;
import dev.streamscope.rstream.persist.RStreamFileSystems;
import dev.streamscope.rstream.segment.FlushMode;
import dev.streamscope.rstream.segment.SegmentFormat;
import dev.streamscope.rstream.segment.StreamDirs;
import dev.streamscope.rstream.segment.StreamLog;
import dev.streamscope.translation.runtime.StreamPayloads;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;
import org.apache.hadoop.fs.FileSystem;
import org.joda.time.Instant;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code streamscope inspect} over segments written by a {@link StreamLog}. */
class InspectCommandTest {
  private static final String STREAM = "Words/out0/p0->Count/in0/p1";

  @TempDir Path temp;
  private Path job;

  private record Run(int exitCode, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exitCode = new StreamScopeCli(new PrintWriter(out), new PrintWriter(err)).execute(args);
    return new Run(exitCode, out.toString(), err.toString());
  }

  private static StreamEvent event(long seq) {
    return seq % 10 == 9
        ? StreamEvent.watermark(seq, 1_000 * seq)
        : StreamEvent.data(seq, ("word" + seq).getBytes(StandardCharsets.UTF_8));
  }

  @BeforeEach
  void writeSegments() throws IOException {
    job = temp.resolve("root").resolve("job-1");
    FileSystem fs = RStreamFileSystems.forUri(temp.toUri());
    org.apache.hadoop.fs.Path dir =
        new org.apache.hadoop.fs.Path(job.toUri().toString(), StreamDirs.encode(STREAM));
    StreamLog first = StreamLog.create(fs, dir, STREAM, FlushMode.HFLUSH, 1 << 20);
    first.append(InspectCommandTest::event, 0, 30, Long.MAX_VALUE);
    first.closeActive();
    StreamLog second = StreamLog.recover(fs, dir, STREAM, FlushMode.HFLUSH, 1 << 20);
    second.append(InspectCommandTest::event, 30, 45, Long.MAX_VALUE);
    second.closeActive();
  }

  private Path segment(long number) {
    return job.resolve(StreamDirs.encode(STREAM)).resolve(SegmentFormat.fileName(number));
  }

  @Test
  void listsStreamsSegmentsRangesAndTheDurableSeq() {
    Run run = run("inspect", temp.resolve("root").toString());
    assertEquals(0, run.exitCode(), run.err() + run.out());
    assertTrue(run.out().contains("rStream " + STREAM), run.out());
    assertTrue(run.out().contains(SegmentFormat.fileName(0) + "  seqs [0, 30)  30 records"), run.out());
    assertTrue(run.out().contains(SegmentFormat.fileName(1) + "  seqs [30, 45)  15 records"), run.out());
    assertTrue(run.out().contains("seqs [0, 45) durable, 45 records verified"), run.out());
    assertTrue(run.out().contains("1 rStream(s), 2 segment(s), 45 record(s) verified, no problems"), run.out());
  }

  @Test
  void dumpPrintsEveryRecordInHex() {
    Run run = run("inspect", "--dump", segment(0).toUri().toString());
    assertEquals(0, run.exitCode(), run.err() + run.out());
    assertTrue(run.out().contains("rStream " + STREAM + ", segment number 0"), run.out());
    // "word0" in hex
    assertTrue(run.out().contains("seq 0  DATA  @"), run.out());
    assertTrue(run.out().contains("77 6f 72 64 30"), run.out());
    assertTrue(run.out().contains("seq 9  WATERMARK"), run.out());
    assertTrue(run.out().contains("watermark 9000 (1970-01-01T00:00:09Z)"), run.out());
  }

  @Test
  void dumpDecodesElementsWithTheStreamsPayloadFormat() throws Exception {
    @SuppressWarnings({"unchecked", "rawtypes"})
    Coder<WindowedValue<?>> coder =
        (Coder) WindowedValues.getFullCoder(StringUtf8Coder.of(), GlobalWindow.Coder.INSTANCE);
    StreamPayloads payloads = new StreamPayloads(false);
    payloads.addInput("Words", 0, "Count", 0, coder);
    String stream = "Words/out0/p0->Count/in0/p0";
    FileSystem fs = RStreamFileSystems.forUri(temp.toUri());
    org.apache.hadoop.fs.Path dir =
        new org.apache.hadoop.fs.Path(job.toUri().toString(), StreamDirs.encode(stream));
    StreamLog log = StreamLog.create(fs, dir, stream, FlushMode.HFLUSH, 1 << 20, payloads.formatOf(stream));
    byte[] word = CoderUtils.encodeToByteArray(coder, WindowedValues.timestampedValueInGlobalWindow("hello", new Instant(5)));
    StreamEvent[] events = {
      StreamEvent.data(0, word), StreamEvent.data(1, new byte[] {(byte) 0xff}), StreamEvent.watermark(2, 9)
    };
    log.append(seq -> events[(int) seq], 0, 3, Long.MAX_VALUE);
    log.closeActive();

    Run run = run("inspect", "--dump", job.resolve(StreamDirs.encode(stream)).toString());
    assertEquals(0, run.exitCode(), run.err() + run.out());
    assertTrue(run.out().contains("rStream " + stream + "\n"), "a stream directory names its stream: " + run.out());
    assertTrue(run.out().contains("payloads decoded (" + StreamPayloads.ENCODED + ")"), run.out());
    assertTrue(run.out().contains("seq 0  DATA  @"), run.out());
    assertTrue(run.out().contains("hello  @ " + new Instant(5) + "  in [GlobalWindow]  PaneInfo.NO_FIRING"), run.out());
    assertTrue(run.out().contains("  ff  (undecodable: "), "a payload the coder rejects is shown in hex: " + run.out());
    assertTrue(run.out().contains("seq 2  WATERMARK"), run.out());

    Run single = run("inspect", "--dump", job.resolve(StreamDirs.encode(stream)).resolve(SegmentFormat.fileName(0)).toString());
    assertTrue(single.out().contains("hello  @ "), "a single segment is decoded with its directory's format: " + single.out());
  }

  @Test
  void dumpSaysWhyItPrintsHex() {
    Run run = run("inspect", "--dump", job.toString());
    assertEquals(0, run.exitCode(), run.err() + run.out());
    assertTrue(run.out().contains("payloads in hex: the stream has no payload-format file"), run.out());
  }

  @Test
  void aFlippedByteIsReportedWithFileOffsetAndChecksumsAndExitCodeOne() throws IOException {
    try (RandomAccessFile file = new RandomAccessFile(segment(1).toFile(), "rw")) {
      file.seek(Files.size(segment(1)) - 10);
      int b = file.read();
      file.seek(Files.size(segment(1)) - 10);
      file.write(b ^ 1);
    }
    Run run = run("inspect", job.toString());
    assertEquals(1, run.exitCode(), run.out());
    assertTrue(run.out().contains("CORRUPT: Corrupt rStream segment"), run.out());
    assertTrue(run.out().contains(SegmentFormat.fileName(1)), run.out());
    assertTrue(run.out().matches("(?s).*at offset \\d+: record checksum mismatch at seq 44 \\(expected crc32c 0x\\p{XDigit}{8}, actual 0x\\p{XDigit}{8}\\).*"), run.out());
    assertTrue(run.out().contains("seqs [0, 30) durable"), run.out());
  }

  @Test
  void aMissingPathIsAUsageError() {
    Run run = run("inspect", temp.resolve("nothing-here").toString());
    assertEquals(2, run.exitCode());
    assertTrue(run.err().contains("does not exist"), run.err());
  }
}
