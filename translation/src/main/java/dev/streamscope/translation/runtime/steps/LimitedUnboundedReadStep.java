package dev.streamscope.translation.runtime.steps;

import dev.streamscope.translation.runtime.SourceStep;
import dev.streamscope.vertex.SourceOperator.Status;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.values.WindowedValues;
import org.joda.time.Duration;

/**
 * A bounded read of an unbounded source ({@code Read.from(unbounded).withMaxNumRecords(n)} and
 * {@code withMaxReadTime}): this partition reads its shards, each up to its record budget or read
 * time, as Beam's BoundedReadFromUnboundedSource does inside a DoFn, but as a source that yields
 * between bundles (back-pressure, bounded memory) and waits for idle readers on a timer instead of
 * sleeping. The shards are read side by side, a record from each in turn, so a read time bounds the
 * whole read rather than adding up shard after shard. Watermark: the start of time until done,
 * then the end.
 */
public final class LimitedUnboundedReadStep<T> extends SourceStep {
  /** One split of the source with how much of it to read. */
  public record Shard<T>(UnboundedSource<T, ?> source, long maxRecords, Duration maxReadTime)
      implements java.io.Serializable {}

  /** A shard being read. */
  private static final class Reading<T> {
    final Shard<T> shard;
    final UnboundedSource.UnboundedReader<T> reader;
    final long deadlineMillis;
    boolean started;
    long read;

    Reading(Shard<T> shard, UnboundedSource.UnboundedReader<T> reader, long deadlineMillis) {
      this.shard = shard;
      this.reader = reader;
      this.deadlineMillis = deadlineMillis;
    }
  }

  private final List<Shard<T>> shards;
  private final List<Reading<T>> readings = new ArrayList<>();
  private boolean opened;
  private int next;
  private boolean done;

  public LimitedUnboundedReadStep(String name, List<Shard<T>> shards) {
    super(name);
    this.shards = shards;
  }

  @Override
  protected Status emit(int maxElements) throws Exception {
    if (!opened) {
      openShards();
    }
    int emitted = 0;
    int idleInARow = 0;
    while (emitted < maxElements && !readings.isEmpty() && idleInARow < readings.size()) {
      next %= readings.size();
      Reading<T> reading = readings.get(next);
      if (reading.read >= reading.shard.maxRecords()
          || runtime().nowMillis() >= reading.deadlineMillis) {
        close(reading);
        readings.remove(next);
        idleInARow = 0;
        continue;
      }
      boolean available;
      if (!reading.started) {
        reading.started = true;
        available = reading.reader.start();
      } else {
        available = reading.reader.advance();
      }
      next++;
      if (!available) {
        idleInARow++;
        continue;
      }
      idleInARow = 0;
      output(
          0,
          WindowedValues.timestampedValueInGlobalWindow(
              reading.reader.getCurrent(), reading.reader.getCurrentTimestamp()));
      reading.read++;
      emitted++;
    }
    if (readings.isEmpty()) {
      if (emitted > 0) {
        return Status.MORE; // The last records get a bundle of their own before the end.
      }
      done = true;
      return Status.DONE;
    }
    return emitted == 0 ? Status.IDLE : Status.MORE;
  }

  private void openShards() throws IOException {
    opened = true;
    long now = runtime().nowMillis();
    for (Shard<T> shard : shards) {
      if (shard.maxRecords() <= 0
          || (shard.maxReadTime() != null && shard.maxReadTime().getMillis() == 0)) {
        continue;
      }
      long deadline =
          shard.maxReadTime() == null ? Long.MAX_VALUE : now + shard.maxReadTime().getMillis();
      readings.add(new Reading<>(shard, shard.source().createReader(options(), null), deadline));
    }
  }

  private static void close(Reading<?> reading) throws IOException {
    reading.reader.getCheckpointMark().finalizeCheckpoint();
    reading.reader.close();
  }

  @Override
  protected long sourceWatermarkMillis() {
    return done ? Long.MAX_VALUE : Long.MIN_VALUE;
  }

  @Override
  protected void close() throws Exception {
    for (Reading<T> reading : readings) {
      reading.reader.close();
    }
    readings.clear();
  }
}
