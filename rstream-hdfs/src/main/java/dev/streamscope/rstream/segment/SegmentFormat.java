package dev.streamscope.rstream.segment;

import dev.streamscope.rstream.StreamEvent;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/** Constants and encoders of segment format version 1 (layout in the package documentation). */
public final class SegmentFormat {
  public static final int MAGIC = 0x52534547; // "RSEG"
  public static final int FORMAT_VERSION = 1;
  /** Bytes of the header before the stream id. */
  static final int HEADER_FIXED_BYTES = 26;
  static final int STREAM_ID_BYTES_MAX = 0xFFFF;
  public static final int RECORD_HEADER_BYTES = 17;
  public static final int RECORD_CHECKSUM_BYTES = 4;
  /** Bytes a record adds to its payload. */
  public static final int RECORD_OVERHEAD_BYTES = RECORD_HEADER_BYTES + RECORD_CHECKSUM_BYTES;
  /** Larger payloads are refused on write and taken as corruption on read. */
  public static final int PAYLOAD_BYTES_MAX = 1 << 30;
  /** The in-memory index has an entry at least this often. */
  public static final long INDEX_INTERVAL_BYTES = 64 << 10;
  public static final String SEGMENT_SUFFIX = ".rseg";

  static final byte KIND_DATA = 0;
  static final byte KIND_WATERMARK = 1;
  static final byte KIND_END = 2;

  private SegmentFormat() {}

  /** The complete header of a new segment. */
  public static byte[] encodeHeader(String streamId, long segmentNumber, long firstSeq) {
    byte[] id = streamId.getBytes(StandardCharsets.UTF_8);
    if (id.length > STREAM_ID_BYTES_MAX) {
      throw new IllegalArgumentException("stream id longer than 65535 bytes: " + streamId);
    }
    if (segmentNumber < 0 || firstSeq < 0) {
      throw new IllegalArgumentException(
          "segment number and first seq must be >= 0, were " + segmentNumber + ", " + firstSeq);
    }
    byte[] header = new byte[HEADER_FIXED_BYTES + id.length + 4];
    putInt(header, 0, MAGIC);
    putShort(header, 4, FORMAT_VERSION);
    putShort(header, 6, header.length);
    putLong(header, 8, segmentNumber);
    putLong(header, 16, firstSeq);
    putShort(header, 24, id.length);
    System.arraycopy(id, 0, header, HEADER_FIXED_BYTES, id.length);
    CRC32C crc = new CRC32C();
    crc.update(header, 0, header.length - 4);
    putInt(header, header.length - 4, (int) crc.getValue());
    return header;
  }

  /**
   * Bytes the record of {@code event} takes in a segment.
   *
   * @throws IllegalArgumentException if its payload exceeds {@link #PAYLOAD_BYTES_MAX}
   */
  public static int recordBytes(StreamEvent event) {
    return RECORD_OVERHEAD_BYTES + checkedPayloadBytes(event);
  }

  private static int checkedPayloadBytes(StreamEvent event) {
    int payloadBytes = payloadBytes(event);
    if (payloadBytes > PAYLOAD_BYTES_MAX) {
      throw new IllegalArgumentException(
          "event " + event + " is larger than the segment limit of " + PAYLOAD_BYTES_MAX + " bytes");
    }
    return payloadBytes;
  }

  private static int payloadBytes(StreamEvent event) {
    switch (event.kind()) {
      case DATA:
        return event.payload().length;
      case WATERMARK:
        return 8;
      default:
        return 0;
    }
  }

  /**
   * Encodes the record of {@code event} into {@code buffer} at {@code offset}, which must have
   * {@link #recordBytes} room; returns the offset after it.
   */
  public static int encodeRecord(StreamEvent event, byte[] buffer, int offset, CRC32C crc) {
    int payloadBytes = checkedPayloadBytes(event);
    putLong(buffer, offset, event.seq());
    buffer[offset + 8] = kindCode(event.kind());
    putInt(buffer, offset + 9, payloadBytes);
    crc.reset();
    crc.update(buffer, offset, 13);
    putInt(buffer, offset + 13, (int) crc.getValue());
    int payloadOffset = offset + RECORD_HEADER_BYTES;
    switch (event.kind()) {
      case DATA:
        System.arraycopy(event.payload(), 0, buffer, payloadOffset, payloadBytes);
        break;
      case WATERMARK:
        putLong(buffer, payloadOffset, event.watermarkMillis());
        break;
      default:
        break;
    }
    int end = payloadOffset + payloadBytes;
    // The CRC of bytes [0, 13) goes on over the header checksum and the payload: the CRC of
    // [0, 17 + P) without hashing the first 13 bytes twice.
    crc.update(buffer, offset + 13, end - offset - 13);
    putInt(buffer, end, (int) crc.getValue());
    return end + RECORD_CHECKSUM_BYTES;
  }

  static byte kindCode(StreamEvent.Kind kind) {
    switch (kind) {
      case DATA:
        return KIND_DATA;
      case WATERMARK:
        return KIND_WATERMARK;
      default:
        return KIND_END;
    }
  }

  /** The kind of a record's kind byte, or null if the byte is not a known kind. */
  static StreamEvent.Kind kindOf(byte code) {
    switch (code) {
      case KIND_DATA:
        return StreamEvent.Kind.DATA;
      case KIND_WATERMARK:
        return StreamEvent.Kind.WATERMARK;
      case KIND_END:
        return StreamEvent.Kind.END;
      default:
        return null;
    }
  }

  /** The file name of segment {@code number}. */
  public static String fileName(long number) {
    return String.format("%020d%s", number, SEGMENT_SUFFIX);
  }

  /** The segment number in a segment file name, or -1 if it is not one. */
  public static long numberOf(String fileName) {
    if (!fileName.endsWith(SEGMENT_SUFFIX)) {
      return -1;
    }
    String digits = fileName.substring(0, fileName.length() - SEGMENT_SUFFIX.length());
    if (digits.isEmpty() || digits.length() > 20 || !digits.chars().allMatch(Character::isDigit)) {
      return -1;
    }
    try {
      return Long.parseLong(digits);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  static void putLong(byte[] b, int at, long v) {
    for (int i = 7; i >= 0; i--) {
      b[at + i] = (byte) v;
      v >>>= 8;
    }
  }

  static void putInt(byte[] b, int at, int v) {
    b[at] = (byte) (v >>> 24);
    b[at + 1] = (byte) (v >>> 16);
    b[at + 2] = (byte) (v >>> 8);
    b[at + 3] = (byte) v;
  }

  static void putShort(byte[] b, int at, int v) {
    b[at] = (byte) (v >>> 8);
    b[at + 1] = (byte) v;
  }

  static long getLong(byte[] b, int at) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (b[at + i] & 0xFF);
    }
    return v;
  }

  static int getInt(byte[] b, int at) {
    return ((b[at] & 0xFF) << 24) | ((b[at + 1] & 0xFF) << 16) | ((b[at + 2] & 0xFF) << 8) | (b[at + 3] & 0xFF);
  }

  static int getShort(byte[] b, int at) {
    return ((b[at] & 0xFF) << 8) | (b[at + 1] & 0xFF);
  }
}
