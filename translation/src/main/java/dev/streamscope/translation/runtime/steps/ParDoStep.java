package dev.streamscope.translation.runtime.steps;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import org.apache.beam.runners.core.DoFnRunner;
import org.apache.beam.runners.core.DoFnRunners;
import org.apache.beam.runners.core.NullSideInputReader;
import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.StepContext;
import org.apache.beam.runners.core.TimerInternals;
import org.apache.beam.sdk.transforms.DoFn.BundleFinalizer;
import org.apache.beam.sdk.values.WindowedValue;

/**
 * A ParDo without state or timers. Port 0 is the main input; port i > 0 carries the elements of
 * side input i - 1. Main-input elements whose side inputs are not ready yet wait, holding the
 * watermark, until they are ({@link SideInputWaits}).
 */
public final class ParDoStep<InputT, OutputT> extends DoFnStep<InputT, OutputT> {
  private DoFnRunner<InputT, OutputT> runner;
  private SideInputWaits<InputT> waits;

  public ParDoStep(String name, Spec<InputT, OutputT> spec) {
    super(name, spec);
  }

  @Override
  protected void open() throws Exception {
    super.open();
    boolean hasSideInputs = !spec.sideInputs().isEmpty();
    SideInputStore sideInputs = hasSideInputs ? new SideInputStore(spec.sideInputs()) : null;
    runner =
        DoFnRunners.simpleRunner(
            options(),
            doFn,
            hasSideInputs ? sideInputs : NullSideInputReader.empty(),
            outputManager(),
            spec.mainOutputTag(),
            additionalOutputTags(),
            new StatelessContext(name(), bundleFinalization),
            spec.inputCoder(),
            spec.outputCoders(),
            spec.windowingStrategy(),
            spec.schemaInformation(),
            spec.sideInputMapping());
    // Elements released together stop once a finalization callback waits: the vertex commits.
    waits =
        hasSideInputs
            ? new SideInputWaits<>(
                sideInputs, runner::processElement, bundleFinalization::awaitsSnapshot)
            : null;
  }

  @Override
  protected void startBundle() {
    runner.startBundle();
  }

  @Override
  @SuppressWarnings("unchecked")
  protected void process(int port, WindowedValue<?> element) throws Exception {
    if (port > 0) {
      waits.addSideInput(port - 1, element);
    } else if (waits == null) {
      runner.processElement((WindowedValue<InputT>) element);
    } else {
      waits.offer((WindowedValue<InputT>) element);
    }
  }

  @Override
  protected void onPortWatermark(int port, long watermarkMillis) throws Exception {
    if (port > 0) {
      waits.advanceSideInputWatermark(port - 1, watermarkMillis);
    }
  }

  @Override
  protected boolean workLeft() {
    return waits != null && waits.released();
  }

  @Override
  protected void continueWork() throws Exception {
    waits.continueRelease();
  }

  @Override
  protected long holdMillis() {
    return waits == null ? Long.MAX_VALUE : waits.holdMillis();
  }

  /** What waits for side inputs, and the side inputs themselves. */
  @Override
  protected void snapshot(DataOutputStream out) throws Exception {
    super.snapshot(out);
    if (waits != null) {
      waits.snapshot(out, mainInputCoder());
    }
  }

  @Override
  protected void restore(DataInputStream in) throws Exception {
    super.restore(in);
    if (waits != null) {
      waits.restore(in, mainInputCoder());
    }
  }

  @Override
  protected void finishBundle() throws Exception {
    runner.finishBundle();
  }

  @Override
  protected void close() throws Exception {
    if (waits != null) {
      waits.checkNoneWaiting(name());
    }
    super.close();
  }

  /** A step context for DoFns that use neither state nor timers. */
  static final class StatelessContext implements StepContext {
    private final String stepName;
    private final BundleFinalizer bundleFinalizer;

    StatelessContext(String stepName, BundleFinalizer bundleFinalizer) {
      this.stepName = stepName;
      this.bundleFinalizer = bundleFinalizer;
    }

    @Override
    public BundleFinalizer bundleFinalizer() {
      return bundleFinalizer;
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
