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
  /** Reused for every element (one thread per step): assignment is on the hot path. */
  private final ReusableContext context;

  public AssignWindowsStep(String name, WindowFn<T, W> windowFn) {
    super(name);
    this.windowFn = windowFn;
    this.context = new ReusableContext();
  }

  private final class ReusableContext extends WindowFn<T, W>.AssignContext {
    T element;
    Instant timestamp;
    BoundedWindow window;

    ReusableContext() {
      windowFn.super();
    }

    @Override
    public T element() {
      return element;
    }

    @Override
    public Instant timestamp() {
      return timestamp;
    }

    @Override
    public BoundedWindow window() {
      return window;
    }
  }

  @Override
  @SuppressWarnings("unchecked")
  protected void process(int port, WindowedValue<?> element) throws Exception {
    WindowedValue<T> input = (WindowedValue<T>) element;
    if (input.getWindows().size() == 1) {
      assign(input, input.getWindows().iterator().next());
    } else {
      for (WindowedValue<T> single : input.explodeWindows()) {
        assign(single, single.getWindows().iterator().next());
      }
    }
  }

  private void assign(WindowedValue<T> single, BoundedWindow window) throws Exception {
    context.element = single.getValue();
    context.timestamp = single.getTimestamp();
    context.window = window;
    Collection<W> windows = windowFn.assignWindows(context);
    output(
        0, WindowedValues.of(single.getValue(), single.getTimestamp(), windows, single.getPaneInfo()));
  }
}
