package dev.streamscope.rstream.segment;

import java.io.IOException;

/**
 * A segment holds bytes that are not what was written: a checksum mismatch, an out-of-order seq,
 * a bad header, or a hole between segments. Never retried: the data at that place is lost, and
 * nothing after it is trusted.
 */
public final class CorruptSegmentException extends IOException {
  private final String file;
  private final long offset;

  public CorruptSegmentException(String file, long offset, String problem) {
    super("Corrupt rStream segment " + file + " at offset " + offset + ": " + problem);
    this.file = file;
    this.offset = offset;
  }

  /** A checksum that does not match: names both values in hex. */
  static CorruptSegmentException checksum(
      String file, long offset, String what, long seq, long expected, long actual) {
    return new CorruptSegmentException(
        file,
        offset,
        String.format(
            "%s checksum mismatch at seq %d (expected crc32c 0x%08x, actual 0x%08x)",
            what, seq, expected, actual));
  }

  public String file() {
    return file;
  }

  public long offset() {
    return offset;
  }
}
