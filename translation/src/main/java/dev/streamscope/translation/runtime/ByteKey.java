package dev.streamscope.translation.runtime;

import java.util.Arrays;

/** A key by its encoded bytes: equal keys, equal bytes (Beam requires deterministic key coders). */
public final class ByteKey implements Comparable<ByteKey> {
  private final byte[] bytes;
  private final int hash;

  public ByteKey(byte[] bytes) {
    this.bytes = bytes;
    this.hash = hashOf(bytes);
  }

  /** The hash that partitions keys over vertex instances: a function of the bytes alone. */
  public static int hashOf(byte[] bytes) {
    int h = Arrays.hashCode(bytes);
    h ^= (h >>> 16);
    h *= 0x85ebca6b;
    h ^= (h >>> 13);
    return h;
  }

  /**
   * What Beam groups {@code key} by: its encoded bytes, or the key itself where the coder agrees
   * with {@code equals()} (then encoding would only cost time).
   */
  public static <K> Object structural(org.apache.beam.sdk.coders.Coder<K> keyCoder, K key)
      throws org.apache.beam.sdk.coders.CoderException {
    return keyCoder.consistentWithEquals()
        ? key
        : new ByteKey(org.apache.beam.sdk.util.CoderUtils.encodeToByteArray(keyCoder, key));
  }

  public byte[] bytes() {
    return bytes;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof ByteKey && Arrays.equals(bytes, ((ByteKey) other).bytes);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public int compareTo(ByteKey other) {
    return Arrays.compareUnsigned(bytes, other.bytes);
  }
}
