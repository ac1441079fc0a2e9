package dev.streamscope.translation.runtime.steps;

import dev.streamscope.translation.runtime.SourceStep;
import dev.streamscope.translation.runtime.Watermarks;
import dev.streamscope.vertex.SourceOperator.Status;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.values.WindowedValues;

/**
 * A primitive unbounded Read: this partition polls the readers of its splits in turn. Watermark:
 * the minimum of its readers' watermarks; done once every reader's watermark is at the end of
 * time.
 */
public final class UnboundedReadStep<T> extends SourceStep {
  private final List<UnboundedSource<T, ?>> splits;
  private final List<UnboundedSource.UnboundedReader<T>> readers = new ArrayList<>();
  private final List<Boolean> started = new ArrayList<>();
  private long watermarkMillis = Long.MIN_VALUE;

  public UnboundedReadStep(String name, List<UnboundedSource<T, ?>> splits) {
    super(name);
    this.splits = splits;
  }

  @Override
  protected void open() throws Exception {
    for (UnboundedSource<T, ?> split : splits) {
      readers.add(split.createReader(options(), null));
      started.add(false);
    }
  }

  @Override
  protected Status emit(int maxElements) throws Exception {
    int emitted = 0;
    boolean anyAvailable = true;
    while (emitted < maxElements && anyAvailable) {
      anyAvailable = false;
      for (int i = 0; i < readers.size() && emitted < maxElements; i++) {
        UnboundedSource.UnboundedReader<T> reader = readers.get(i);
        boolean available;
        if (!started.get(i)) {
          started.set(i, true);
          available = reader.start();
        } else {
          available = reader.advance();
        }
        if (available) {
          anyAvailable = true;
          output(
              0,
              WindowedValues.timestampedValueInGlobalWindow(
                  reader.getCurrent(), reader.getCurrentTimestamp()));
          emitted++;
        }
      }
    }
    long min = Long.MAX_VALUE;
    for (UnboundedSource.UnboundedReader<T> reader : readers) {
      min = Math.min(min, Watermarks.fromInstant(reader.getWatermark()));
    }
    watermarkMillis = Math.max(watermarkMillis, min);
    if (watermarkMillis == Long.MAX_VALUE) {
      return Status.DONE;
    }
    return emitted == maxElements ? Status.MORE : Status.IDLE;
  }

  @Override
  protected long sourceWatermarkMillis() {
    return watermarkMillis;
  }

  @Override
  protected void close() throws Exception {
    for (UnboundedSource.UnboundedReader<T> reader : readers) {
      reader.close();
    }
    readers.clear();
  }
}
