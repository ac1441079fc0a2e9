package dev.streamscope.simulator;

import dev.streamscope.rstream.StreamEvent;
import java.util.Arrays;

/**
 * What one run's rStream holds, as its writer stored it (not as it was asked to): the stream's
 * events folded into digests, plus one hash per seq so that a rewrite can be compared with the
 * value it rewrites — also after the stream lost the original in a crash.
 */
public final class StreamLog {
  private long dataEvents;
  private long punctuations;
  private long rewrites;
  private long orderedHash = 0xcbf29ce484222325L;
  private long dataMultisetHash;
  private long lastWatermarkMillis = Long.MIN_VALUE;
  private long watermarkRegressionSeq = -1;
  private long nextSeq;
  private long gapAtSeq = -1;
  private long changedAtSeq = -1;
  private long[] hashes = new long[64];

  /**
   * The stream stored {@code event} at {@code storedSeq}: appended if {@code storedSeq} is the next
   * seq, a rewrite of an existing seq if it is lower (uniqueness absorbed it).
   */
  void onStored(long storedSeq, StreamEvent event) {
    long eventHash = hash(event);
    if (storedSeq < nextSeq) {
      rewrites++;
      if (hashes[(int) storedSeq] != eventHash && changedAtSeq < 0) {
        changedAtSeq = storedSeq;
      }
      return;
    }
    if (storedSeq != nextSeq && gapAtSeq < 0) {
      gapAtSeq = nextSeq;
    }
    if (storedSeq >= hashes.length) {
      hashes = Arrays.copyOf(hashes, (int) Math.max(hashes.length * 2L, storedSeq + 1));
    }
    hashes[(int) storedSeq] = eventHash;
    nextSeq = storedSeq + 1;
    orderedHash = (orderedHash ^ eventHash) * 0x100000001b3L;
    if (event.isData()) {
      dataEvents++;
      dataMultisetHash += eventHash * 0x9e3779b97f4a7c15L + 1;
    } else {
      punctuations++;
      if (event.watermarkMillis() < lastWatermarkMillis && watermarkRegressionSeq < 0) {
        watermarkRegressionSeq = storedSeq;
      }
      lastWatermarkMillis = Math.max(lastWatermarkMillis, event.watermarkMillis());
    }
  }

  private static long hash(StreamEvent event) {
    long h = event.kind().ordinal();
    h = h * 31 + (event.isData() ? Arrays.hashCode(event.payload()) : Long.hashCode(event.watermarkMillis()));
    h ^= h >>> 29;
    h *= 0xbf58476d1ce4e5b9L;
    return h ^ (h >>> 32);
  }

  public long dataEvents() {
    return dataEvents;
  }

  public long punctuations() {
    return punctuations;
  }

  public long rewrites() {
    return rewrites;
  }

  public long orderedHash() {
    return orderedHash;
  }

  public long dataMultisetHash() {
    return dataMultisetHash;
  }

  /** Seq of the first punctuation whose watermark went backwards, or -1. */
  public long watermarkRegressionSeq() {
    return watermarkRegressionSeq;
  }

  /** First missing seq, or -1 if every seq was written in order. */
  public long gapAtSeq() {
    return gapAtSeq;
  }

  /**
   * First seq rewritten with a different value, or -1. The stream itself refuses such a rewrite
   * while it still holds the original; this also catches one after the original was lost.
   */
  public long changedAtSeq() {
    return changedAtSeq;
  }
}
