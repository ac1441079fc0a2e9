package dev.streamscope.translation.runtime.steps;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.runners.core.DoFnRunner;
import org.apache.beam.runners.core.DoFnRunners;
import org.apache.beam.runners.core.NullSideInputReader;
import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.StepContext;
import org.apache.beam.runners.core.TimerInternals;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.WindowedValue;

/**
 * A ParDo without state or timers. Port 0 is the main input; port i > 0 carries the elements of
 * side input i - 1. Main-input elements whose side inputs are not ready yet are pushed back and
 * hold the watermark until a side-input watermark advance makes them ready.
 */
public final class ParDoStep<InputT, OutputT> extends DoFnStep<InputT, OutputT> {
  private SideInputStore sideInputs;
  private DoFnRunner<InputT, OutputT> runner;
  private List<WindowedValue<InputT>> pushedBack = new ArrayList<>();
  private long pushedBackHoldMillis = Long.MAX_VALUE;

  public ParDoStep(String name, Spec<InputT, OutputT> spec) {
    super(name, spec);
  }

  @Override
  protected void open() throws Exception {
    super.open();
    boolean hasSideInputs = !spec.sideInputs().isEmpty();
    sideInputs = hasSideInputs ? new SideInputStore(spec.sideInputs()) : null;
    runner =
        DoFnRunners.simpleRunner(
            options(),
            doFn,
            hasSideInputs ? sideInputs : NullSideInputReader.empty(),
            outputManager(),
            spec.mainOutputTag(),
            additionalOutputTags(),
            new StatelessContext(name()),
            spec.inputCoder(),
            spec.outputCoders(),
            spec.windowingStrategy(),
            spec.schemaInformation(),
            spec.sideInputMapping());
  }

  @Override
  protected void startBundle() {
    runner.startBundle();
  }

  @Override
  @SuppressWarnings("unchecked")
  protected void process(int port, WindowedValue<?> element) {
    if (port > 0) {
      sideInputs.add(port - 1, element);
      return;
    }
    WindowedValue<InputT> input = (WindowedValue<InputT>) element;
    if (sideInputs == null) {
      runner.processElement(input);
      return;
    }
    for (WindowedValue<InputT> single : input.explodeWindows()) {
      if (sideInputsReady(single.getWindows().iterator().next())) {
        runner.processElement(single);
      } else {
        pushedBack.add(single);
        pushedBackHoldMillis = Math.min(pushedBackHoldMillis, single.getTimestamp().getMillis());
      }
    }
  }

  /** Checked per element, never cached: readiness changes as side watermarks advance. */
  private boolean sideInputsReady(BoundedWindow mainWindow) {
    for (PCollectionView<?> view : spec.sideInputs()) {
      BoundedWindow sideWindow = view.getWindowMappingFn().getSideInputWindow(mainWindow);
      if (!sideInputs.isReady(view, sideWindow)) {
        return false;
      }
    }
    return true;
  }

  @Override
  protected void onPortWatermark(int port, long watermarkMillis) {
    if (port == 0 || pushedBack.isEmpty()) {
      if (port > 0) {
        sideInputs.advanceWatermark(port - 1, watermarkMillis);
      }
      return;
    }
    sideInputs.advanceWatermark(port - 1, watermarkMillis);
    List<WindowedValue<InputT>> retry = pushedBack;
    pushedBack = new ArrayList<>();
    pushedBackHoldMillis = Long.MAX_VALUE;
    for (WindowedValue<InputT> element : retry) {
      process(0, element);
    }
  }

  @Override
  protected long holdMillis() {
    return pushedBackHoldMillis;
  }

  @Override
  protected void finishBundle() {
    runner.finishBundle();
  }

  @Override
  protected void close() throws Exception {
    if (!pushedBack.isEmpty()) {
      throw new IllegalStateException(
          name() + ": " + pushedBack.size() + " elements still wait for side inputs at the end");
    }
    super.close();
  }

  /** A step context for DoFns that use neither state nor timers. */
  static final class StatelessContext implements StepContext {
    private final String stepName;

    StatelessContext(String stepName) {
      this.stepName = stepName;
    }

    @Override
    public StateInternals stateInternals() {
      throw new UnsupportedOperationException(stepName + " is not stateful");
    }

    @Override
    public TimerInternals timerInternals() {
      throw new UnsupportedOperationException(stepName + " has no timers");
    }
  }
}
