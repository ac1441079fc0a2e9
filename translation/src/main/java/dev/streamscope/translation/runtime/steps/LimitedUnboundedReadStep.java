package dev.streamscope.translation.runtime.steps;

import dev.streamscope.translation.runtime.CheckpointMarks;
import dev.streamscope.translation.runtime.SourceStep;
import dev.streamscope.vertex.SourceOperator.Status;
import dev.streamscope.translation.runtime.SnapshotIo;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.io.UnboundedSource.CheckpointMark;
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
 *
 * <p>Snapshot: for each shard still being read, its checkpoint mark (as {@link
 * UnboundedReadStep}), records read and deadline; a restore creates its reader from the mark and
 * starts it again. Marks are finalized once a snapshot holding them is stable, a finished shard's
 * last mark with the first snapshot after it, or at the end once everything is durable ({@link
 * CheckpointMarks}).
 */
public final class LimitedUnboundedReadStep<T> extends SourceStep {
  /** One split of the source with how much of it to read. */
  public record Shard<T>(UnboundedSource<T, ?> source, long maxRecords, Duration maxReadTime)
      implements java.io.Serializable {}

  /** A shard being read. */
  private static final class Reading<T> {
    final int shardIndex;
    final Shard<T> shard;
    final UnboundedSource.UnboundedReader<T> reader;
    final long deadlineMillis;
    /** The mark the reader was created from (a restore), until it has started. */
    CheckpointMark startMark;
    boolean started;
    long read;

    Reading(
        int shardIndex,
        Shard<T> shard,
        UnboundedSource.UnboundedReader<T> reader,
        long deadlineMillis) {
      this.shardIndex = shardIndex;
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
  private final CheckpointMarks marks;

  public LimitedUnboundedReadStep(String name, List<Shard<T>> shards) {
    super(name);
    this.shards = shards;
    this.marks = new CheckpointMarks(name);
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
        if (reading.started) { // Else its last mark is the one it was restored from.
          marks.add(reading.reader.getCheckpointMark()); // Finalized once a snapshot is stable.
        }
        reading.reader.close();
        readings.remove(next);
        idleInARow = 0;
        continue;
      }
      boolean available;
      if (!reading.started) {
        reading.started = true;
        reading.startMark = null;
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
    for (int i = 0; i < shards.size(); i++) {
      Shard<T> shard = shards.get(i);
      if (shard.maxRecords() <= 0
          || (shard.maxReadTime() != null && shard.maxReadTime().getMillis() == 0)) {
        continue;
      }
      long deadline =
          shard.maxReadTime() == null ? Long.MAX_VALUE : now + shard.maxReadTime().getMillis();
      readings.add(new Reading<>(i, shard, shard.source().createReader(options(), null), deadline));
    }
  }

  @Override
  protected long sourceWatermarkMillis() {
    return done ? Long.MAX_VALUE : Long.MIN_VALUE;
  }

  @Override
  protected String snapshotUnsupportedReason() {
    for (Shard<T> shard : shards) {
      if (shard.source().getCheckpointMarkCoder() == null) {
        return "unbounded source " + shard.source() + " has no checkpoint-mark coder";
      }
    }
    return null;
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  protected void snapshot(DataOutputStream out) throws IOException {
    out.writeBoolean(opened);
    out.writeBoolean(done);
    out.writeInt(next);
    out.writeInt(readings.size());
    for (Reading<T> reading : readings) {
      out.writeInt(reading.shardIndex);
      out.writeLong(reading.deadlineMillis);
      out.writeLong(reading.read);
      CheckpointMark mark =
          reading.started ? reading.reader.getCheckpointMark() : reading.startMark;
      if (reading.started) {
        marks.add(mark);
      }
      out.writeBoolean(mark != null);
      if (mark != null) {
        SnapshotIo.writeValue(out, (Coder) reading.shard.source().getCheckpointMarkCoder(), mark);
      }
    }
    marks.snapshotTaken(snapshotVersion());
  }

  @Override
  protected void stableUpTo(long snapshotVersion) throws IOException {
    marks.stableUpTo(snapshotVersion);
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  protected void restore(DataInputStream in) throws IOException {
    opened = in.readBoolean();
    done = in.readBoolean();
    next = in.readInt();
    for (int r = in.readInt(); r > 0; r--) {
      int shardIndex = in.readInt();
      if (shardIndex < 0 || shardIndex >= shards.size()) {
        throw new IllegalStateException(
            name() + ": snapshot reads shard " + shardIndex + " of " + shards.size());
      }
      Shard<T> shard = shards.get(shardIndex);
      long deadlineMillis = in.readLong();
      long read = in.readLong();
      CheckpointMark mark =
          in.readBoolean()
              ? (CheckpointMark)
                  SnapshotIo.readValue(in, (Coder) shard.source().getCheckpointMarkCoder())
              : null;
      UnboundedSource source = shard.source();
      Reading<T> reading =
          new Reading<>(
              shardIndex, shard, source.createReader(options(), mark), deadlineMillis);
      reading.read = read;
      reading.startMark = mark;
      readings.add(reading);
    }
  }

  @Override
  protected void close() throws Exception {
    for (Reading<T> reading : readings) {
      reading.reader.close();
    }
    readings.clear();
    if (done) {
      marks.endTaken(); // The last shards' last marks, finalized once everything is durable.
    }
  }
}
