package dev.streamscope.rstream.segment;

import java.util.Arrays;

/**
 * A sparse map from seq to file offset within one segment: entries in increasing seq order, at
 * least one every {@link SegmentFormat#INDEX_INTERVAL_BYTES}. Not thread-safe; its owner guards it.
 */
public final class SegmentIndex {
  private long[] seqs = new long[8];
  private long[] offsets = new long[8];
  private int size;
  private long lastOffset = Long.MIN_VALUE;

  /** Records that the record of {@code seq} starts at {@code offset} if the last entry is far. */
  public void maybeAdd(long seq, long offset) {
    if (size > 0 && offset - lastOffset < SegmentFormat.INDEX_INTERVAL_BYTES) {
      return;
    }
    add(seq, offset);
  }

  /** Records that the record of {@code seq} starts at {@code offset}. */
  public void add(long seq, long offset) {
    if (size > 0 && seq <= seqs[size - 1]) {
      return;
    }
    if (size == seqs.length) {
      seqs = Arrays.copyOf(seqs, size * 2);
      offsets = Arrays.copyOf(offsets, size * 2);
    }
    seqs[size] = seq;
    offsets[size] = offset;
    size++;
    lastOffset = offset;
  }

  /** The entry with the largest seq at or below {@code seq}, as {seq, offset}; null if none. */
  public long[] floor(long seq) {
    int index = Arrays.binarySearch(seqs, 0, size, seq);
    if (index < 0) {
      index = -index - 2;
    }
    return index < 0 ? null : new long[] {seqs[index], offsets[index]};
  }

  public int size() {
    return size;
  }

  /** The seq of entry {@code i} (in increasing order). */
  public long seqAt(int i) {
    return seqs[i];
  }

  /** The record offset of entry {@code i}. */
  public long offsetAt(int i) {
    return offsets[i];
  }
}
