package dev.streamscope.rstream.segment;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.CRC32C;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The index sidecar of a sealed segment ({@code <number>.ridx}, layout in the package
 * documentation): the segment's seq range and length, and a sparse seq-to-offset index, so that
 * recovery need not scan the segment. Written once a segment is final (rolled, closed, or
 * recovered); read back only if every check passes, otherwise the segment is scanned. Blocking.
 *
 * @param number the segment number
 * @param firstSeq seq of the segment's first record
 * @param endSeq one past the seq of its last record
 * @param lengthBytes the segment file's length: header and records
 * @param index record offsets, at least {@link SegmentFormat#INDEX_INTERVAL_BYTES} apart
 */
public record SegmentIndexFile(
    long number, long firstSeq, long endSeq, long lengthBytes, SegmentIndex index) {
  public static final int MAGIC = 0x52494458; // "RIDX"
  public static final int FORMAT_VERSION = 1;
  public static final String SUFFIX = ".ridx";
  static final int FIXED_BYTES = 42;
  static final int ENTRY_BYTES = 16;
  /** Larger sidecars are not read (a 64 MiB segment needs about 16 KiB). */
  static final int BYTES_MAX = 64 << 20;

  /** The sidecar of {@code segment}. */
  public static Path pathOf(Path segment) {
    String name = segment.getName();
    return new Path(
        segment.getParent(),
        name.substring(0, name.length() - SegmentFormat.SEGMENT_SUFFIX.length()) + SUFFIX);
  }

  /** The encoded sidecar, keeping index entries at least {@code INDEX_INTERVAL_BYTES} apart. */
  byte[] encode() {
    int kept = 0;
    long[] seqs = new long[index.size()];
    long[] offsets = new long[index.size()];
    for (int i = 0; i < index.size(); i++) {
      if (kept == 0 || index.offsetAt(i) - offsets[kept - 1] >= SegmentFormat.INDEX_INTERVAL_BYTES) {
        seqs[kept] = index.seqAt(i);
        offsets[kept] = index.offsetAt(i);
        kept++;
      }
    }
    byte[] bytes = new byte[FIXED_BYTES + kept * ENTRY_BYTES + 4];
    SegmentFormat.putInt(bytes, 0, MAGIC);
    SegmentFormat.putShort(bytes, 4, FORMAT_VERSION);
    SegmentFormat.putLong(bytes, 6, number);
    SegmentFormat.putLong(bytes, 14, firstSeq);
    SegmentFormat.putLong(bytes, 22, endSeq);
    SegmentFormat.putLong(bytes, 30, lengthBytes);
    SegmentFormat.putInt(bytes, 38, kept);
    for (int i = 0; i < kept; i++) {
      SegmentFormat.putLong(bytes, FIXED_BYTES + i * ENTRY_BYTES, seqs[i]);
      SegmentFormat.putLong(bytes, FIXED_BYTES + i * ENTRY_BYTES + 8, offsets[i]);
    }
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, bytes.length - 4);
    SegmentFormat.putInt(bytes, bytes.length - 4, (int) crc.getValue());
    return bytes;
  }

  /** Writes (or replaces) the sidecar of {@code segment}. */
  public void write(FileSystem fs, Path segment) throws IOException {
    byte[] bytes = encode();
    try (FSDataOutputStream out = fs.create(pathOf(segment), true)) {
      out.write(bytes);
    }
  }

  /**
   * Reads the sidecar of {@code segment} and checks it against the segment's header and file
   * length: magic, version, size, checksum, segment number, first seq, entry order and bounds.
   *
   * @throws IOException naming what is wrong if the sidecar is missing or unusable
   */
  public static SegmentIndexFile read(
      FileSystem fs, Path segment, SegmentHeader header, long fileLengthBytes) throws IOException {
    Path path = pathOf(segment);
    byte[] bytes;
    try (InputStream in = fs.open(path)) {
      bytes = readAll(in, path);
    }
    if (bytes.length < FIXED_BYTES + 4 || SegmentFormat.getInt(bytes, 0) != MAGIC) {
      throw unusable(path, "not an index sidecar");
    }
    if (SegmentFormat.getShort(bytes, 4) != FORMAT_VERSION) {
      throw unusable(path, "unsupported version " + SegmentFormat.getShort(bytes, 4));
    }
    int entries = SegmentFormat.getInt(bytes, 38);
    if (entries < 0 || bytes.length != FIXED_BYTES + (long) entries * ENTRY_BYTES + 4) {
      throw unusable(path, bytes.length + " bytes do not hold " + entries + " entries");
    }
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, bytes.length - 4);
    long expected = SegmentFormat.getInt(bytes, bytes.length - 4) & 0xFFFFFFFFL;
    if (crc.getValue() != expected) {
      throw unusable(
          path, String.format("checksum mismatch (expected crc32c 0x%08x, actual 0x%08x)", expected, crc.getValue()));
    }
    long number = SegmentFormat.getLong(bytes, 6);
    long firstSeq = SegmentFormat.getLong(bytes, 14);
    long endSeq = SegmentFormat.getLong(bytes, 22);
    long lengthBytes = SegmentFormat.getLong(bytes, 30);
    if (number != header.segmentNumber() || firstSeq != header.firstSeq() || endSeq < firstSeq) {
      throw unusable(
          path, "describes segment " + number + " from seq " + firstSeq + " to " + endSeq + ", not segment "
              + header.segmentNumber() + " from seq " + header.firstSeq());
    }
    if (lengthBytes != fileLengthBytes) {
      throw unusable(path, "says " + lengthBytes + " bytes, the segment has " + fileLengthBytes);
    }
    SegmentIndex index = new SegmentIndex();
    long previousSeq = firstSeq - 1;
    for (int i = 0; i < entries; i++) {
      long seq = SegmentFormat.getLong(bytes, FIXED_BYTES + i * ENTRY_BYTES);
      long offset = SegmentFormat.getLong(bytes, FIXED_BYTES + i * ENTRY_BYTES + 8);
      if (seq <= previousSeq || seq >= endSeq || offset < header.lengthBytes() || offset >= lengthBytes) {
        throw unusable(path, "entry " + i + " (seq " + seq + " at offset " + offset + ") is out of bounds");
      }
      index.add(seq, offset);
      previousSeq = seq;
    }
    return new SegmentIndexFile(number, firstSeq, endSeq, lengthBytes, index);
  }

  private static byte[] readAll(InputStream in, Path path) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[8 << 10];
    int n;
    while ((n = in.read(buffer)) >= 0) {
      out.write(buffer, 0, n);
      if (out.size() > BYTES_MAX) {
        throw unusable(path, "larger than " + BYTES_MAX + " bytes");
      }
    }
    return out.toByteArray();
  }

  private static IOException unusable(Path path, String problem) {
    return new IOException("index sidecar " + path + " is unusable: " + problem);
  }
}
