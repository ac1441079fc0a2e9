package dev.streamscope.rstream.persist;

import dev.streamscope.rstream.segment.FlushMode;

/**
 * Knobs of persisted rStreams (per stream). Units last in the names.
 *
 * @param strategy memory-only, hybrid or synchronous
 * @param flushMode {@code hflush} (default) or {@code hsync} after each batch
 * @param batchBytesMax a batch is flushed as soon as it holds this many bytes ...
 * @param flushIntervalMs ... or this long after it was started, whichever comes first
 * @param segmentBytesMax a segment is rolled once it is this large
 * @param memoryBytesMax bytes of events the in-memory tier keeps; older durable events beyond it
 *     are evicted and read back from segments (unpersisted events are never evicted)
 * @param backlogBytesMax bytes published but not yet durable past which {@code
 *     persistenceCongested()} asks a writer that can wait to wait
 * @param readBytesMax bytes a tier-2 read loads from a segment at once
 * @param retryDelayMsMin first delay before a failed flush or read is retried (doubles each time)
 * @param retryDelayMsMax largest retry delay
 * @param gcOnRelease whether a reader's {@code releaseBelow} also garbage-collects segments (right
 *     while no consumer snapshot needs older events; otherwise the host calls {@code gcBelow})
 */
public record RStreamOptions(
    PersistenceStrategy strategy,
    FlushMode flushMode,
    long batchBytesMax,
    long flushIntervalMs,
    long segmentBytesMax,
    long memoryBytesMax,
    long backlogBytesMax,
    long readBytesMax,
    long retryDelayMsMin,
    long retryDelayMsMax,
    boolean gcOnRelease) {

  public RStreamOptions {
    if (strategy == null || flushMode == null) {
      throw new IllegalArgumentException("strategy and flushMode are required");
    }
    positive("batchBytesMax", batchBytesMax);
    positive("flushIntervalMs", flushIntervalMs);
    positive("segmentBytesMax", segmentBytesMax);
    positive("memoryBytesMax", memoryBytesMax);
    positive("backlogBytesMax", backlogBytesMax);
    positive("readBytesMax", readBytesMax);
    positive("retryDelayMsMin", retryDelayMsMin);
    if (retryDelayMsMax < retryDelayMsMin) {
      throw new IllegalArgumentException(
          "retryDelayMsMax (" + retryDelayMsMax + ") must be >= retryDelayMsMin (" + retryDelayMsMin + ")");
    }
  }

  private static void positive(String name, long value) {
    if (value < 1) {
      throw new IllegalArgumentException(name + " must be >= 1, was " + value);
    }
  }

  /** Hybrid, hflush, 1 MiB or 10 ms batches, 64 MiB segments and memory, 16 MiB backlog. */
  public static RStreamOptions defaults() {
    return new RStreamOptions(
        PersistenceStrategy.HYBRID,
        FlushMode.HFLUSH,
        1 << 20,
        10,
        64L << 20,
        64L << 20,
        16L << 20,
        1 << 20,
        20,
        2_000,
        true);
  }

  public RStreamOptions withStrategy(PersistenceStrategy value) {
    return new RStreamOptions(value, flushMode, batchBytesMax, flushIntervalMs, segmentBytesMax, memoryBytesMax, backlogBytesMax, readBytesMax, retryDelayMsMin, retryDelayMsMax, gcOnRelease);
  }

  public RStreamOptions withFlushMode(FlushMode value) {
    return new RStreamOptions(strategy, value, batchBytesMax, flushIntervalMs, segmentBytesMax, memoryBytesMax, backlogBytesMax, readBytesMax, retryDelayMsMin, retryDelayMsMax, gcOnRelease);
  }

  public RStreamOptions withBatch(long bytesMax, long intervalMs) {
    return new RStreamOptions(strategy, flushMode, bytesMax, intervalMs, segmentBytesMax, memoryBytesMax, backlogBytesMax, readBytesMax, retryDelayMsMin, retryDelayMsMax, gcOnRelease);
  }

  public RStreamOptions withSegmentBytesMax(long value) {
    return new RStreamOptions(strategy, flushMode, batchBytesMax, flushIntervalMs, value, memoryBytesMax, backlogBytesMax, readBytesMax, retryDelayMsMin, retryDelayMsMax, gcOnRelease);
  }

  public RStreamOptions withMemoryBytesMax(long value) {
    return new RStreamOptions(strategy, flushMode, batchBytesMax, flushIntervalMs, segmentBytesMax, value, backlogBytesMax, readBytesMax, retryDelayMsMin, retryDelayMsMax, gcOnRelease);
  }

  public RStreamOptions withBacklogBytesMax(long value) {
    return new RStreamOptions(strategy, flushMode, batchBytesMax, flushIntervalMs, segmentBytesMax, memoryBytesMax, value, readBytesMax, retryDelayMsMin, retryDelayMsMax, gcOnRelease);
  }

  public RStreamOptions withReadBytesMax(long value) {
    return new RStreamOptions(strategy, flushMode, batchBytesMax, flushIntervalMs, segmentBytesMax, memoryBytesMax, backlogBytesMax, value, retryDelayMsMin, retryDelayMsMax, gcOnRelease);
  }

  public RStreamOptions withRetryDelayMs(long min, long max) {
    return new RStreamOptions(strategy, flushMode, batchBytesMax, flushIntervalMs, segmentBytesMax, memoryBytesMax, backlogBytesMax, readBytesMax, min, max, gcOnRelease);
  }

  public RStreamOptions withGcOnRelease(boolean value) {
    return new RStreamOptions(strategy, flushMode, batchBytesMax, flushIntervalMs, segmentBytesMax, memoryBytesMax, backlogBytesMax, readBytesMax, retryDelayMsMin, retryDelayMsMax, value);
  }
}
