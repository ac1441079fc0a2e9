package dev.streamscope.rstream.segment;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Read-only inspection of persisted rStreams for tools ({@code streamscope inspect}): finds the
 * stream directories under a root, scans every segment (verifying every checksum), and reports
 * seq ranges, torn tails, corruption and each stream's durable seq by the coverage rule of the
 * package documentation. Unlike recovery it changes nothing and goes on after a problem. Blocking.
 */
public final class StreamInspector {
  /** One segment: its scan, or why it could not be scanned. */
  public record SegmentReport(Path path, SegmentScan scan, String problem) {
    public boolean corrupt() {
      return problem != null;
    }
  }

  /**
   * One stream directory.
   *
   * @param streamId decoded from the directory name
   * @param floorSeq lowest seq still held (garbage collection dropped the ones below)
   * @param durableSeq end of the contiguous prefix the segments cover: what a restarted writer
   *     recovers
   * @param problems corruption, holes, foreign segments; empty when healthy (torn tails are not
   *     problems: a crashed writer leaves them)
   */
  public record StreamReport(
      Path dir,
      String streamId,
      List<SegmentReport> segments,
      long floorSeq,
      long durableSeq,
      long recordsVerified,
      List<String> problems) {}

  private StreamInspector() {}

  /** Every stream directory at or below {@code root} (a directory holding segment files). */
  public static List<StreamReport> inspectTree(FileSystem fs, Path root) throws IOException {
    List<StreamReport> reports = new ArrayList<>();
    walk(fs, root, reports);
    reports.sort(Comparator.comparing(report -> report.dir().toString()));
    return reports;
  }

  private static void walk(FileSystem fs, Path dir, List<StreamReport> reports) throws IOException {
    FileStatus[] children;
    try {
      children = fs.listStatus(dir);
    } catch (FileNotFoundException e) {
      return;
    }
    boolean holdsSegments = false;
    for (FileStatus child : children) {
      if (child.isDirectory()) {
        walk(fs, child.getPath(), reports);
      } else if (SegmentFormat.numberOf(child.getPath().getName()) >= 0) {
        holdsSegments = true;
      }
    }
    if (holdsSegments) {
      reports.add(inspectStream(fs, dir));
    }
  }

  /** One stream directory; never throws for what it finds in the files. */
  public static StreamReport inspectStream(FileSystem fs, Path dir) throws IOException {
    String streamId = null; // from the name, or (hashed name) from the first header
    if (!StreamDirs.isHashed(dir.getName())) {
      try {
        streamId = StreamDirs.decode(dir.getName());
      } catch (IllegalArgumentException e) {
        streamId = dir.getName();
      }
    }
    List<FileStatus> files = new ArrayList<>();
    for (FileStatus file : fs.listStatus(dir)) {
      if (file.isFile() && SegmentFormat.numberOf(file.getPath().getName()) >= 0) {
        files.add(file);
      }
    }
    files.sort(Comparator.comparingLong(f -> SegmentFormat.numberOf(f.getPath().getName())));
    List<SegmentReport> segments = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    long records = 0;
    for (FileStatus file : files) {
      try {
        SegmentScan scan = SegmentScanner.scan(fs, file.getPath(), null);
        segments.add(new SegmentReport(file.getPath(), scan, null));
        records += scan.recordCount();
        if (scan.header() != null) {
          String id = scan.header().streamId();
          if (streamId == null && StreamDirs.encode(id).equals(dir.getName())) {
            streamId = id;
          }
          if (!id.equals(streamId)) {
            problems.add(file.getPath().getName() + " belongs to rStream '" + id + "'");
          }
        }
      } catch (CorruptSegmentException e) {
        segments.add(new SegmentReport(file.getPath(), null, e.getMessage()));
        problems.add(e.getMessage());
      }
    }
    long floor = -1;
    long durable = -1;
    for (SegmentReport segment : segments) {
      if (segment.corrupt()) {
        break; // Nothing after corruption counts as durable.
      }
      SegmentScan scan = segment.scan();
      if (scan.tornHeader()) {
        continue;
      }
      if (floor < 0) {
        floor = scan.firstSeq();
        durable = scan.endSeq();
        continue;
      }
      if (scan.firstSeq() > durable) {
        problems.add(
            "hole: seqs [" + durable + ", " + scan.firstSeq() + ") are in no segment (before "
                + segment.path().getName() + ")");
        break;
      }
      durable = scan.endSeq();
    }
    return new StreamReport(
        dir, streamId == null ? dir.getName() : streamId, segments, Math.max(floor, 0), Math.max(durable, 0), records, problems);
  }
}
