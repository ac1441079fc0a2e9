package dev.streamscope.translation.runtime.steps;

import dev.streamscope.translation.runtime.SourceStep;
import dev.streamscope.vertex.SourceOperator.Status;
import java.util.List;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.values.WindowedValues;
import org.joda.time.Duration;

/**
 * A bounded read of an unbounded source ({@code Read.from(unbounded).withMaxNumRecords(n)} and
 * {@code withMaxReadTime}): this partition reads its shards one after another, each up to its
 * record budget or read time, as Beam's BoundedReadFromUnboundedSource does inside a DoFn, but as
 * a source that yields between bundles (back-pressure, bounded memory) and waits for an idle
 * reader on a timer instead of sleeping. Watermark: the start of time until done, then the end.
 */
public final class LimitedUnboundedReadStep<T> extends SourceStep {
  /** One split of the source with how much of it to read. */
  public record Shard<T>(UnboundedSource<T, ?> source, long maxRecords, Duration maxReadTime)
      implements java.io.Serializable {}

  private final List<Shard<T>> shards;
  private int nextShard;
  private UnboundedSource.UnboundedReader<T> reader;
  private long readFromShard;
  private long shardDeadlineMillis;
  private boolean done;

  public LimitedUnboundedReadStep(String name, List<Shard<T>> shards) {
    super(name);
    this.shards = shards;
  }

  @Override
  protected Status emit(int maxElements) throws Exception {
    int emitted = 0;
    while (emitted < maxElements) {
      if (reader == null && !openNextShard()) {
        done = true;
        return Status.DONE;
      }
      Shard<T> shard = shards.get(nextShard - 1);
      if (readFromShard >= shard.maxRecords() || runtime().nowMillis() >= shardDeadlineMillis) {
        closeShard();
        continue;
      }
      boolean available = readFromShard == 0 && !started ? startReader() : reader.advance();
      if (!available) {
        return emitted == 0 ? Status.IDLE : Status.MORE;
      }
      output(
          0,
          WindowedValues.timestampedValueInGlobalWindow(
              reader.getCurrent(), reader.getCurrentTimestamp()));
      readFromShard++;
      emitted++;
    }
    return Status.MORE;
  }

  private boolean started;

  private boolean startReader() throws java.io.IOException {
    started = true;
    return reader.start();
  }

  private boolean openNextShard() throws java.io.IOException {
    while (nextShard < shards.size()) {
      Shard<T> shard = shards.get(nextShard++);
      if (shard.maxRecords() <= 0 || (shard.maxReadTime() != null && shard.maxReadTime().getMillis() == 0)) {
        continue;
      }
      reader = shard.source().createReader(options(), null);
      readFromShard = 0;
      started = false;
      shardDeadlineMillis =
          shard.maxReadTime() == null
              ? Long.MAX_VALUE
              : runtime().nowMillis() + shard.maxReadTime().getMillis();
      return true;
    }
    return false;
  }

  private void closeShard() throws java.io.IOException {
    reader.getCheckpointMark().finalizeCheckpoint();
    reader.close();
    reader = null;
  }

  @Override
  protected long sourceWatermarkMillis() {
    return done ? Long.MAX_VALUE : Long.MIN_VALUE;
  }

  @Override
  protected void close() throws Exception {
    if (reader != null) {
      reader.close();
      reader = null;
    }
  }
}
