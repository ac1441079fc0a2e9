package dev.streamscope.rstream.segment;

import org.apache.hadoop.fs.Path;

/**
 * What a full scan of one segment file found; every record was checksum-verified.
 *
 * @param header null if the file ends inside its header
 * @param endSeq one past the last intact record's seq (the first seq if there is none)
 * @param validLength bytes up to the end of the last intact record
 * @param tornBytes bytes of an incomplete record after it (a torn tail), 0 if none
 * @param index offsets of records, for reads
 */
public record SegmentScan(
    Path path,
    long number,
    SegmentHeader header,
    long recordCount,
    long endSeq,
    long validLength,
    long tornBytes,
    SegmentIndex index) {

  public long firstSeq() {
    return header == null ? endSeq : header.firstSeq();
  }

  public boolean tornHeader() {
    return header == null;
  }

  public boolean tornTail() {
    return tornBytes > 0;
  }
}
