package dev.streamscope.translation.runtime.steps;

import dev.streamscope.translation.runtime.SourceStep;
import dev.streamscope.vertex.SourceOperator.Status;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import org.apache.beam.sdk.io.BoundedSource;
import org.apache.beam.sdk.values.WindowedValues;

/**
 * A primitive bounded Read: this partition reads its share of the splits made at translation,
 * one after another. Watermark: the start of time until every split is read, then the end.
 *
 * <p>Snapshot: Beam's bounded readers have no checkpoint, so the position is the split being read
 * and how many records of it were emitted; a restore re-opens that split and skips that many. This
 * is exact for a source that reads the same records in the same order every time (as a replayable
 * source must be); a split that yields fewer records on re-reading fails the restore.
 */
public final class BoundedReadStep<T> extends SourceStep {
  private final List<BoundedSource<T>> splits;
  private int nextSplit;
  private BoundedSource.BoundedReader<T> reader;
  /** Records emitted from {@link #reader}; at least one whenever it is open between calls. */
  private long readFromReader;
  private boolean done;

  public BoundedReadStep(String name, List<BoundedSource<T>> splits) {
    super(name);
    this.splits = splits;
  }

  @Override
  protected Status emit(int maxElements) throws Exception {
    int emitted = 0;
    while (emitted < maxElements) {
      boolean available;
      if (reader == null) {
        if (nextSplit == splits.size()) {
          if (emitted > 0) {
            // The last elements get a bundle (and punctuation) of their own, before the end of
            // input: downstream may act on them (processing-time triggers) before it sees the end.
            return Status.MORE;
          }
          done = true;
          return Status.DONE;
        }
        reader = splits.get(nextSplit++).createReader(options());
        readFromReader = 0;
        available = reader.start();
      } else {
        available = reader.advance();
      }
      if (!available) {
        reader.close();
        reader = null;
        continue;
      }
      output(
          0,
          WindowedValues.timestampedValueInGlobalWindow(
              reader.getCurrent(), reader.getCurrentTimestamp()));
      readFromReader++;
      emitted++;
    }
    return Status.MORE;
  }

  @Override
  protected long sourceWatermarkMillis() {
    return done ? Long.MAX_VALUE : Long.MIN_VALUE;
  }

  @Override
  protected void snapshot(DataOutputStream out) throws IOException {
    out.writeInt(nextSplit);
    out.writeBoolean(reader != null);
    out.writeLong(readFromReader);
    out.writeBoolean(done);
  }

  /** Re-opens the split that was being read and reads past what was emitted from it. */
  @Override
  protected void restore(DataInputStream in) throws IOException {
    nextSplit = in.readInt();
    boolean reading = in.readBoolean();
    readFromReader = in.readLong();
    done = in.readBoolean();
    if (nextSplit < 0
        || nextSplit > splits.size()
        || (reading && (nextSplit == 0 || readFromReader < 1))) {
      throw new IllegalStateException(
          name() + ": corrupt snapshot: at split " + nextSplit + " of " + splits.size() + ", "
              + readFromReader + " records read");
    }
    if (!reading) {
      return;
    }
    BoundedSource<T> split = splits.get(nextSplit - 1);
    reader = split.createReader(options());
    boolean available = reader.start();
    for (long skipped = 1; available && skipped < readFromReader; skipped++) {
      available = reader.advance();
    }
    if (!available) {
      throw new IllegalStateException(
          name() + ": re-reading split " + (nextSplit - 1) + " (" + split + ") yielded fewer than"
              + " the " + readFromReader + " records emitted before the snapshot: the source does"
              + " not read the same records each time, so it cannot be restored");
    }
  }

  @Override
  protected void close() throws Exception {
    if (reader != null) {
      reader.close();
      reader = null;
    }
  }
}
