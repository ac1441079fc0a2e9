package dev.streamscope.simulator;

import dev.streamscope.rstream.StreamEvent;
import java.util.Arrays;

/**
 * What one run wrote to one rStream, folded into digests: enough for the checkers to compare runs
 * without keeping every event.
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

  void onWrite(StreamEvent event) {
    if (event.seq() < nextSeq) {
      rewrites++; // Uniqueness makes it a no-op (or a determinism violation that fails the run).
      return;
    }
    if (event.seq() != nextSeq && gapAtSeq < 0) {
      gapAtSeq = nextSeq;
    }
    nextSeq = event.seq() + 1;
    long eventHash = hash(event);
    orderedHash = (orderedHash ^ eventHash) * 0x100000001b3L;
    if (event.isData()) {
      dataEvents++;
      dataMultisetHash += eventHash * 0x9e3779b97f4a7c15L + 1;
    } else {
      punctuations++;
      if (event.watermarkMillis() < lastWatermarkMillis && watermarkRegressionSeq < 0) {
        watermarkRegressionSeq = event.seq();
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
}
