package dev.streamscope.rstream.segment;

import static dev.streamscope.rstream.segment.SegmentFormat.HEADER_FIXED_BYTES;
import static dev.streamscope.rstream.segment.SegmentFormat.RECORD_CHECKSUM_BYTES;
import static dev.streamscope.rstream.segment.SegmentFormat.RECORD_HEADER_BYTES;

import dev.streamscope.rstream.StreamEvent;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32C;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Reads one segment file record by record, verifying both checksums and the seq order of every
 * record before it is exposed. Blocking: call it only inside {@code StreamIo.executeBlocking} (or
 * from a command-line tool).
 *
 * <p>{@link #next()} returns false at the end of the file; {@link #tornBytes()} then says how many
 * bytes after the last intact record belong to an incomplete record (a torn tail).
 */
public final class SegmentReader implements Closeable {
  private static final int BUFFER_BYTES = 64 << 10;

  private final String file;
  private final InputStream in;
  private final CRC32C crc = new CRC32C();
  private final byte[] recordHeader = new byte[RECORD_HEADER_BYTES];
  private final byte[] checksum = new byte[RECORD_CHECKSUM_BYTES];
  private SegmentHeader header;
  private byte[] payload = new byte[256];
  private long offset;
  private long expectedSeq;
  private long tornBytes;
  private boolean atEnd;

  // The current record.
  private long recordOffset = -1;
  private long seq;
  private StreamEvent.Kind kind;
  private int payloadLength;

  private SegmentReader(String file, InputStream in, long offset, long expectedSeq) {
    this.file = file;
    this.in = in;
    this.offset = offset;
    this.expectedSeq = expectedSeq;
  }

  /**
   * Opens {@code path} at its start and reads its header; {@link #header()} is null if the file
   * ends inside the header (a segment torn right after it was created).
   *
   * @throws CorruptSegmentException if the header is not a valid version-1 header
   */
  public static SegmentReader open(FileSystem fs, Path path) throws IOException {
    FSDataInputStream raw = fs.open(path);
    SegmentReader reader =
        new SegmentReader(path.toString(), new BufferedInputStream(raw, BUFFER_BYTES), 0, -1);
    try {
      reader.readHeader();
    } catch (IOException | RuntimeException e) {
      reader.close();
      throw e;
    }
    return reader;
  }

  /**
   * Reads only the header of {@code path} (null if the file ends inside it).
   *
   * @throws CorruptSegmentException if the header is not a valid version-1 header
   */
  public static SegmentHeader readHeader(FileSystem fs, Path path) throws IOException {
    try (SegmentReader reader =
        new SegmentReader(path.toString(), new BufferedInputStream(fs.open(path), 512), 0, -1)) {
      reader.readHeader();
      return reader.header;
    }
  }

  /**
   * Opens {@code path} at {@code offset}, where the record of {@code seq} starts (from the index);
   * no header is read.
   */
  public static SegmentReader openAt(FileSystem fs, Path path, long offset, long seq)
      throws IOException {
    FSDataInputStream raw = fs.open(path);
    try {
      raw.seek(offset);
    } catch (IOException | RuntimeException e) {
      raw.close();
      throw e;
    }
    return new SegmentReader(path.toString(), new BufferedInputStream(raw, BUFFER_BYTES), offset, seq);
  }

  private void readHeader() throws IOException {
    byte[] fixed = new byte[HEADER_FIXED_BYTES];
    int got = readUpTo(fixed, 0, fixed.length);
    if (got >= 4 && SegmentFormat.getInt(fixed, 0) != SegmentFormat.MAGIC) {
      throw new CorruptSegmentException(
          file,
          0,
          String.format(
              "bad magic 0x%08x (expected 0x%08x): not an rStream segment",
              SegmentFormat.getInt(fixed, 0), SegmentFormat.MAGIC));
    }
    if (got < fixed.length) {
      tornHeader(got);
      return;
    }
    int version = SegmentFormat.getShort(fixed, 4);
    if (version != SegmentFormat.FORMAT_VERSION) {
      throw new CorruptSegmentException(
          file, 4, "unsupported format version " + version + " (this build reads version 1)");
    }
    int idLength = SegmentFormat.getShort(fixed, 24);
    int length = SegmentFormat.getShort(fixed, 6);
    if (length != HEADER_FIXED_BYTES + idLength + 4) {
      throw new CorruptSegmentException(
          file, 6, "header length " + length + " does not fit a stream id of " + idLength + " bytes");
    }
    byte[] all = Arrays.copyOf(fixed, length);
    int rest = readUpTo(all, HEADER_FIXED_BYTES, length - HEADER_FIXED_BYTES);
    if (rest < length - HEADER_FIXED_BYTES) {
      tornHeader(HEADER_FIXED_BYTES + rest);
      return;
    }
    crc.reset();
    crc.update(all, 0, length - 4);
    long expected = SegmentFormat.getInt(all, length - 4) & 0xFFFFFFFFL;
    if (crc.getValue() != expected) {
      throw new CorruptSegmentException(
          file,
          0,
          String.format(
              "header checksum mismatch (expected crc32c 0x%08x, actual 0x%08x)",
              expected, crc.getValue()));
    }
    header =
        new SegmentHeader(
            version,
            SegmentFormat.getLong(all, 8),
            SegmentFormat.getLong(all, 16),
            new String(all, HEADER_FIXED_BYTES, idLength, StandardCharsets.UTF_8),
            length);
    expectedSeq = header.firstSeq();
  }

  private void tornHeader(int bytes) {
    header = null;
    tornBytes = bytes;
    atEnd = true;
  }

  /** The header, if this reader was opened at the start and the header is complete. */
  public SegmentHeader header() {
    return header;
  }

  /**
   * Moves to the next record and verifies it.
   *
   * @return false at the end of the file (see {@link #tornBytes()})
   * @throws CorruptSegmentException if a checksum does not match or the seq is out of order
   */
  public boolean next() throws IOException {
    if (atEnd) {
      return false;
    }
    long start = offset;
    int got = readUpTo(recordHeader, 0, RECORD_HEADER_BYTES);
    if (got < RECORD_HEADER_BYTES) {
      return end(got);
    }
    crc.reset();
    crc.update(recordHeader, 0, 13);
    long headerExpected = SegmentFormat.getInt(recordHeader, 13) & 0xFFFFFFFFL;
    long recordSeq = SegmentFormat.getLong(recordHeader, 0);
    if (crc.getValue() != headerExpected) {
      throw CorruptSegmentException.checksum(
          file, start, "record header", recordSeq, headerExpected, crc.getValue());
    }
    StreamEvent.Kind recordKind = SegmentFormat.kindOf(recordHeader[8]);
    int length = SegmentFormat.getInt(recordHeader, 9);
    if (recordKind == null || length < 0 || length > SegmentFormat.PAYLOAD_BYTES_MAX) {
      throw new CorruptSegmentException(
          file, start, "record of seq " + recordSeq + " has kind " + recordHeader[8] + " and length " + length);
    }
    if (expectedSeq >= 0 && recordSeq != expectedSeq) {
      throw new CorruptSegmentException(
          file, start, "expected the record of seq " + expectedSeq + ", found seq " + recordSeq);
    }
    if (payload.length < length) {
      payload = new byte[Math.max(length, payload.length * 2)];
    }
    int payloadGot = readUpTo(payload, 0, length);
    if (payloadGot < length) {
      return end(RECORD_HEADER_BYTES + payloadGot);
    }
    int checksumGot = readUpTo(checksum, 0, RECORD_CHECKSUM_BYTES);
    if (checksumGot < RECORD_CHECKSUM_BYTES) {
      return end(RECORD_HEADER_BYTES + length + checksumGot);
    }
    crc.reset();
    crc.update(recordHeader, 0, RECORD_HEADER_BYTES);
    crc.update(payload, 0, length);
    long expected = SegmentFormat.getInt(checksum, 0) & 0xFFFFFFFFL;
    if (crc.getValue() != expected) {
      throw CorruptSegmentException.checksum(file, start, "record", recordSeq, expected, crc.getValue());
    }
    if ((recordKind == StreamEvent.Kind.WATERMARK && length != 8)
        || (recordKind == StreamEvent.Kind.END && length != 0)) {
      throw new CorruptSegmentException(
          file, start, recordKind + " record of seq " + recordSeq + " has length " + length);
    }
    recordOffset = start;
    seq = recordSeq;
    kind = recordKind;
    payloadLength = length;
    expectedSeq = recordSeq + 1;
    return true;
  }

  private boolean end(int partialBytes) {
    tornBytes = partialBytes;
    atEnd = true;
    recordOffset = -1;
    return false;
  }

  /** Bytes of an incomplete last record (0 if the file ends cleanly at a record boundary). */
  public long tornBytes() {
    return tornBytes;
  }

  /** Offset just after the last intact record read (the valid length once at the end). */
  public long validLength() {
    return offset - (atEnd ? tornBytes : 0);
  }

  public long recordOffset() {
    return recordOffset;
  }

  public long seq() {
    return seq;
  }

  public StreamEvent.Kind kind() {
    return kind;
  }

  public int payloadLength() {
    return payloadLength;
  }

  /** The current record's payload in {@code [0, payloadLength())}; overwritten by {@link #next()}. */
  public byte[] payloadBuffer() {
    return payload;
  }

  /** The current record as an event (a copy). */
  public StreamEvent event() {
    switch (kind) {
      case DATA:
        return StreamEvent.data(seq, Arrays.copyOf(payload, payloadLength));
      case WATERMARK:
        return StreamEvent.watermark(seq, SegmentFormat.getLong(payload, 0));
      default:
        return StreamEvent.end(seq);
    }
  }

  /** Bytes of the current record in the file. */
  public int recordBytes() {
    return SegmentFormat.RECORD_OVERHEAD_BYTES + payloadLength;
  }

  private int readUpTo(byte[] buffer, int at, int length) throws IOException {
    int total = 0;
    while (total < length) {
      int n = in.read(buffer, at + total, length - total);
      if (n < 0) {
        break;
      }
      total += n;
    }
    offset += total;
    return total;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
