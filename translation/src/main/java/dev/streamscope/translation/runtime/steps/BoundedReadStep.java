package dev.streamscope.translation.runtime.steps;

import dev.streamscope.translation.runtime.SourceStep;
import dev.streamscope.vertex.SourceOperator.Status;
import java.util.List;
import org.apache.beam.sdk.io.BoundedSource;
import org.apache.beam.sdk.values.WindowedValues;

/**
 * A primitive bounded Read: this partition reads its share of the splits made at translation,
 * one after another. Watermark: the start of time until every split is read, then the end.
 */
public final class BoundedReadStep<T> extends SourceStep {
  private final List<BoundedSource<T>> splits;
  private int nextSplit;
  private BoundedSource.BoundedReader<T> reader;
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
      emitted++;
    }
    return Status.MORE;
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
