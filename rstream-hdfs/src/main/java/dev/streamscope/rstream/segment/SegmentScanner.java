package dev.streamscope.rstream.segment;

import java.io.IOException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** Scans whole segment files (blocking; run it through the I/O seam or from a tool). */
public final class SegmentScanner {
  /** Sees every intact record of a scan, in order. */
  @FunctionalInterface
  public interface RecordVisitor {
    void record(SegmentReader reader) throws IOException;
  }

  private SegmentScanner() {}

  /**
   * Reads {@code path} to its end, verifying every checksum and the seq order.
   *
   * @throws CorruptSegmentException at the first corrupt byte (never a torn tail)
   */
  public static SegmentScan scan(FileSystem fs, Path path, RecordVisitor visitor)
      throws IOException {
    long number = SegmentFormat.numberOf(path.getName());
    try (SegmentReader reader = SegmentReader.open(fs, path)) {
      SegmentHeader header = reader.header();
      if (header == null) {
        return new SegmentScan(path, number, null, 0, -1, 0, reader.tornBytes(), new SegmentIndex());
      }
      if (number >= 0 && header.segmentNumber() != number) {
        throw new CorruptSegmentException(
            path.toString(),
            8,
            "header says segment number " + header.segmentNumber() + " but the file name says " + number);
      }
      SegmentIndex index = new SegmentIndex();
      long count = 0;
      while (reader.next()) {
        index.maybeAdd(reader.seq(), reader.recordOffset());
        if (visitor != null) {
          visitor.record(reader);
        }
        count++;
      }
      return new SegmentScan(
          path,
          header.segmentNumber(),
          header,
          count,
          header.firstSeq() + count,
          reader.validLength(),
          reader.tornBytes(),
          index);
    }
  }
}
