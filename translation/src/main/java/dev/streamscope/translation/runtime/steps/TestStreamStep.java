package dev.streamscope.translation.runtime.steps;

import dev.streamscope.translation.runtime.SourceStep;
import dev.streamscope.translation.runtime.Watermarks;
import dev.streamscope.vertex.SourceOperator.Status;
import java.util.List;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.WindowedValues;

/**
 * Beam's TestStream as a source: elements and watermark advances in their scripted order. Each
 * call emits the elements up to the next watermark event and then applies it, so the punctuation
 * that follows the turn carries exactly that watermark, after exactly those elements.
 */
public final class TestStreamStep<T> extends SourceStep {
  private final List<TestStream.Event<T>> events;
  private int next;
  private long watermarkMillis = Long.MIN_VALUE;

  public TestStreamStep(String name, List<TestStream.Event<T>> events) {
    super(name);
    this.events = events;
  }

  @Override
  protected Status emit(int maxElements) throws Exception {
    while (next < events.size()) {
      TestStream.Event<T> event = events.get(next++);
      if (event instanceof TestStream.ElementEvent) {
        for (TimestampedValue<T> element : ((TestStream.ElementEvent<T>) event).getElements()) {
          output(
              0,
              WindowedValues.of(
                  element.getValue(), element.getTimestamp(), GlobalWindow.INSTANCE, PaneInfo.NO_FIRING));
        }
      } else if (event instanceof TestStream.WatermarkEvent) {
        watermarkMillis =
            Math.max(
                watermarkMillis,
                Watermarks.fromInstant(((TestStream.WatermarkEvent<T>) event).getWatermark()));
        return watermarkMillis == Long.MAX_VALUE ? Status.DONE : Status.MORE;
      } else {
        throw new IllegalStateException(name() + ": unexpected TestStream event " + event);
      }
    }
    watermarkMillis = Long.MAX_VALUE;
    return Status.DONE;
  }

  @Override
  protected long sourceWatermarkMillis() {
    return watermarkMillis;
  }
}
