package dev.streamscope.rstream.segment;

import static dev.streamscope.rstream.testing.TestFiles.event;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamscope.rstream.testing.TestFiles;
import java.io.IOException;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StreamInspectorTest {
  @TempDir java.nio.file.Path temp;

  /** Appends {@code [first, first + count)} in a new segment, as a restarted writer would. */
  private void write(FileSystem fs, Path dir, String id, long first, int count) throws IOException {
    StreamLog log = StreamLog.recover(fs, dir, id, FlushMode.HFLUSH, 1 << 20);
    log.append(seq -> event(seq), first, first + count, Long.MAX_VALUE);
    log.closeActive();
  }

  @Test
  void reportsStreamsSegmentsRangesAndTheDurableSeq() throws IOException {
    FileSystem fs = TestFiles.rawLocal();
    Path job = new Path(temp.toUri().toString(), "job");
    Path a = new Path(job, StreamDirs.encode("A/out0/p0->B/in0/p0"));
    Path b = new Path(job, StreamDirs.encode("A/out0/p0->B/in0/p1"));
    write(fs, a, "A/out0/p0->B/in0/p0", 0, 100);
    write(fs, a, "A/out0/p0->B/in0/p0", 100, 50);
    write(fs, b, "A/out0/p0->B/in0/p1", 0, 10);
    List<StreamInspector.StreamReport> reports = StreamInspector.inspectTree(fs, job);
    assertEquals(2, reports.size());
    StreamInspector.StreamReport first = reports.get(0);
    assertEquals("A/out0/p0->B/in0/p0", first.streamId());
    assertEquals(2, first.segments().size());
    assertEquals(0, first.floorSeq());
    assertEquals(150, first.durableSeq());
    assertEquals(150, first.recordsVerified());
    assertTrue(first.problems().isEmpty(), first.problems().toString());
    assertEquals(10, reports.get(1).durableSeq());
  }

  @Test
  void reportsCorruptionAndGoesOn() throws IOException {
    FileSystem fs = TestFiles.rawLocal();
    Path dir = new Path(temp.toUri().toString(), "s");
    write(fs, dir, "s", 0, 100);
    write(fs, dir, "s", 100, 100);
    TestFiles.flipByte(temp.resolve("s").resolve(SegmentFormat.fileName(0)), 500);
    StreamInspector.StreamReport report = StreamInspector.inspectStream(fs, dir);
    assertEquals(2, report.segments().size());
    assertTrue(report.segments().get(0).corrupt());
    assertNull(report.segments().get(0).scan());
    assertTrue(report.problems().get(0).contains("checksum mismatch"), report.problems().toString());
    assertEquals(100, report.segments().get(1).scan().recordCount(), "the next segment is still scanned");
    assertEquals(0, report.durableSeq(), "nothing counts as durable from a corrupt segment on");
  }
}
