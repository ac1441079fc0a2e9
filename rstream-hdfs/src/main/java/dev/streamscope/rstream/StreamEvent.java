package dev.streamscope.rstream;

import java.util.Arrays;
import java.util.Objects;

/**
 * One sequence-numbered event of an rStream: data (an encoded element) or punctuation (a
 * watermark advance, or the end of the stream). Punctuation is part of the stream content, so
 * progress replays exactly like data.
 */
public final class StreamEvent {
  /** What an event carries. */
  public enum Kind {
    DATA,
    WATERMARK,
    END
  }

  private final long seq;
  private final Kind kind;
  private final byte[] payload;
  private final long watermarkMillis;

  private StreamEvent(long seq, Kind kind, byte[] payload, long watermarkMillis) {
    if (seq < 0) {
      throw new IllegalArgumentException("seq must be >= 0, was " + seq);
    }
    this.seq = seq;
    this.kind = kind;
    this.payload = payload;
    this.watermarkMillis = watermarkMillis;
  }

  /** A data event; {@code payload} is owned by the event from now on and must not change. */
  public static StreamEvent data(long seq, byte[] payload) {
    return new StreamEvent(seq, Kind.DATA, Objects.requireNonNull(payload, "payload"), 0);
  }

  /** A punctuation: every later data event of this stream has an event time >= the watermark. */
  public static StreamEvent watermark(long seq, long watermarkMillis) {
    return new StreamEvent(seq, Kind.WATERMARK, null, watermarkMillis);
  }

  /** The last event of a finished stream. */
  public static StreamEvent end(long seq) {
    return new StreamEvent(seq, Kind.END, null, Long.MAX_VALUE);
  }

  public long seq() {
    return seq;
  }

  /** The same event at another seq. */
  public StreamEvent withSeq(long newSeq) {
    return new StreamEvent(newSeq, kind, payload, watermarkMillis);
  }

  public Kind kind() {
    return kind;
  }

  public boolean isData() {
    return kind == Kind.DATA;
  }

  /** The encoded element of a data event; null for punctuation. */
  public byte[] payload() {
    return payload;
  }

  public long watermarkMillis() {
    return watermarkMillis;
  }

  /** Bytes this event occupies in memory, roughly: what back-pressure budgets count. */
  public int sizeBytes() {
    return 32 + (payload == null ? 0 : payload.length);
  }

  /** True if both events say the same thing at the same seq (uniqueness is checked with this). */
  public boolean sameContent(StreamEvent other) {
    return seq == other.seq
        && kind == other.kind
        && watermarkMillis == other.watermarkMillis
        && Arrays.equals(payload, other.payload);
  }

  /** The first {@code max} bytes in hex, for error messages. */
  static String hexPrefix(byte[] bytes, int max) {
    StringBuilder hex = new StringBuilder();
    for (int i = 0; i < Math.min(bytes.length, max); i++) {
      hex.append(String.format("%02x", bytes[i]));
    }
    return bytes.length > max ? hex + "..." : hex.toString();
  }

  @Override
  public String toString() {
    switch (kind) {
      case DATA:
        return "data#" + seq + "(" + payload.length + " bytes: " + hexPrefix(payload, 64) + ")";
      case WATERMARK:
        return "watermark#" + seq + "(" + watermarkMillis + ")";
      default:
        return "end#" + seq;
    }
  }
}
