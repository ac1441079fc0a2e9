package dev.streamscope.translation.runtime.steps;

import dev.streamscope.translation.runtime.SourceStep;
import dev.streamscope.translation.runtime.Watermarks;
import dev.streamscope.vertex.SourceOperator.Status;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.WindowedValues;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Beam's TestStream as a source: elements, watermark and processing-time advances in their
 * scripted order, one event per call: the punctuation that follows an element event closes its
 * bundle, and the one that follows a watermark event carries exactly that watermark.
 *
 * <p>Processing time is the job's logical clock (see {@link
 * dev.streamscope.translation.runtime.FusedStageOperator}): like the DirectRunner's test clock it
 * starts at the beginning of time, and each advance is emitted downstream after the elements
 * before it.
 */
public final class TestStreamStep<T> extends SourceStep {
  private final List<TestStream.Event<T>> events;
  private int next;
  private long watermarkMillis = Long.MIN_VALUE;
  private Instant processingTime = BoundedWindow.TIMESTAMP_MIN_VALUE;

  public TestStreamStep(String name, List<TestStream.Event<T>> events) {
    super(name);
    this.events = events;
  }

  /** Replays one event per call, so every event is a bundle of its own, as in the DirectRunner. */
  @Override
  protected Status emit(int maxElements) throws Exception {
    if (next == events.size()) {
      watermarkMillis = Long.MAX_VALUE;
      return Status.DONE;
    }
    TestStream.Event<T> event = events.get(next++);
    if (event instanceof TestStream.ElementEvent) {
      for (TimestampedValue<T> element : ((TestStream.ElementEvent<T>) event).getElements()) {
        output(
            0,
            WindowedValues.of(
                element.getValue(),
                element.getTimestamp(),
                GlobalWindow.INSTANCE,
                PaneInfo.NO_FIRING));
      }
    } else if (event instanceof TestStream.WatermarkEvent) {
      watermarkMillis =
          Math.max(
              watermarkMillis,
              Watermarks.fromInstant(((TestStream.WatermarkEvent<T>) event).getWatermark()));
      if (watermarkMillis == Long.MAX_VALUE) {
        return Status.DONE;
      }
    } else if (event instanceof TestStream.ProcessingTimeEvent) {
      Duration advance = ((TestStream.ProcessingTimeEvent<T>) event).getProcessingTimeAdvance();
      processingTime = processingTime.plus(advance);
      emitProcessingTime(processingTime.getMillis());
    } else {
      throw new IllegalStateException(name() + ": unexpected TestStream event " + event);
    }
    return Status.MORE;
  }

  @Override
  protected long sourceWatermarkMillis() {
    return watermarkMillis;
  }

  /** The position in the script, and the times it set so far. */
  @Override
  protected void snapshot(DataOutputStream out) throws IOException {
    out.writeInt(next);
    out.writeLong(watermarkMillis);
    out.writeLong(processingTime.getMillis());
  }

  @Override
  protected void restore(DataInputStream in) throws IOException {
    next = in.readInt();
    watermarkMillis = in.readLong();
    processingTime = Instant.ofEpochMilli(in.readLong());
    if (next < 0 || next > events.size()) {
      throw new IllegalStateException(
          name() + ": snapshot at event " + next + " of a script of " + events.size());
    }
  }
}
