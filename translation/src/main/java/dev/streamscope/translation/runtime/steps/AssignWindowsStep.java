package dev.streamscope.translation.runtime.steps;

import dev.streamscope.translation.runtime.Step;
import java.util.Collection;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;
import org.joda.time.Instant;

/** Beam's Window.Assign: each element gets the windows its WindowFn assigns. */
public final class AssignWindowsStep<T, W extends BoundedWindow> extends Step {
  private final WindowFn<T, W> windowFn;

  public AssignWindowsStep(String name, WindowFn<T, W> windowFn) {
    super(name);
    this.windowFn = windowFn;
  }

  @Override
  @SuppressWarnings("unchecked")
  protected void process(int port, WindowedValue<?> element) throws Exception {
    WindowedValue<T> input = (WindowedValue<T>) element;
    for (WindowedValue<T> single : input.explodeWindows()) {
      Collection<W> windows =
          windowFn.assignWindows(
              windowFn.new AssignContext() {
                @Override
                public T element() {
                  return single.getValue();
                }

                @Override
                public Instant timestamp() {
                  return single.getTimestamp();
                }

                @Override
                public BoundedWindow window() {
                  return single.getWindows().iterator().next();
                }
              });
      output(
          0,
          WindowedValues.of(
              single.getValue(), single.getTimestamp(), windows, single.getPaneInfo()));
    }
  }
}
