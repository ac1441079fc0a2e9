package dev.streamscope.translation.runtime.steps;

import dev.streamscope.translation.runtime.ByteKey;
import dev.streamscope.translation.runtime.KeyedStates;
import dev.streamscope.translation.runtime.KeyedTimers;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.List;
import org.apache.beam.runners.core.DoFnRunner;
import org.apache.beam.runners.core.DoFnRunners;
import org.apache.beam.runners.core.KeyedWorkItem;
import org.apache.beam.runners.core.KeyedWorkItemCoder;
import org.apache.beam.runners.core.KeyedWorkItems;
import org.apache.beam.runners.core.NullSideInputReader;
import org.apache.beam.runners.core.OutputAndTimeBoundedSplittableProcessElementInvoker;
import org.apache.beam.runners.core.SideInputReader;
import org.apache.beam.runners.core.SplittableParDoViaKeyedWorkItems.ProcessFn;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;
import org.joda.time.Duration;

/**
 * Beam's ProcessKeyedElements (a splittable DoFn after its restrictions were paired, split and
 * given unique keys): runners-core's {@link ProcessFn} over per-key state and timers. A call
 * checkpoints after {@code outputsPerCallMax} outputs (never after a time: where a restriction is
 * split must depend on the input only); the residual restriction, the element and a watermark hold
 * wait in state, and a processing-time timer resumes them. At the end of input every residual is
 * resumed until done, since no processing time can be waited for after it.
 *
 * <p>A DoFn with a {@code BundleFinalizer} may register a callback at every call and wait for it
 * to run before it claims more (it acknowledges what it read to the outside world). The callback
 * runs only once a snapshot after the call is stable, which the vertex host takes between two of
 * its calls into the step. So while a callback waits, resuming stops after each residual and the
 * rest stays due ({@link #workLeft}); the host commits when its interval passed and goes on with
 * {@link #continueWork}, one resume per call until the callback ran. Without a callback waiting
 * everything due is resumed in one go, as before. Elements released together by side inputs
 * yield the same way.
 *
 * <p>Ports: 0 is the main input (keyed restrictions), 1..n the side inputs; an element whose side
 * inputs are not ready waits, holding the watermark.
 */
public final class SplittableProcessStep<InputT, OutputT, RestrictionT, PositionT, WatermarkStateT>
    extends DoFnStep<KeyedWorkItem<byte[], KV<InputT, RestrictionT>>, OutputT> {
  private final int outputsPerCallMax;
  /** Keys are the unique keys' raw bytes ({@link UniqueKeyStep}), so decoding is the identity. */
  private final KeyedStates states = new KeyedStates(bytes -> bytes);
  private final KeyedTimers timers = new KeyedTimers(false);
  private DoFnRunner<KeyedWorkItem<byte[], KV<InputT, RestrictionT>>, OutputT> runner;
  private SideInputWaits<KV<byte[], KV<InputT, RestrictionT>>> waits;

  public SplittableProcessStep(
      String name,
      Spec<KeyedWorkItem<byte[], KV<InputT, RestrictionT>>, OutputT> spec,
      int outputsPerCallMax) {
    super(name, spec);
    this.outputsPerCallMax = outputsPerCallMax;
  }

  @Override
  @SuppressWarnings("unchecked")
  protected void open() throws Exception {
    super.open(); // Clones the ProcessFn and sets up the splittable DoFn inside it.
    ProcessFn<InputT, OutputT, RestrictionT, PositionT, WatermarkStateT> processFn =
        (ProcessFn<InputT, OutputT, RestrictionT, PositionT, WatermarkStateT>) doFn;
    SideInputStore sideInputs =
        spec.sideInputs().isEmpty() ? null : new SideInputStore(spec.sideInputs());
    SideInputReader reader = sideInputs == null ? NullSideInputReader.empty() : sideInputs;
    processFn.setStateInternalsFactory(key -> states.forKey(new ByteKey(key), key));
    processFn.setTimerInternalsFactory(key -> timers.forKey(new ByteKey(key)));
    processFn.setSideInputReader(reader);
    processFn.setProcessElementInvoker(
        new OutputAndTimeBoundedSplittableProcessElementInvoker<>(
            processFn.getFn(),
            options(),
            outputManager(),
            spec.mainOutputTag(),
            reader,
            OutputCountCheckpoints.INSTANCE,
            outputsPerCallMax,
            Duration.standardDays(1),
            () -> bundleFinalization));
    runner =
        DoFnRunners.simpleRunner(
            options(),
            processFn,
            reader,
            outputManager(),
            spec.mainOutputTag(),
            additionalOutputTags(),
            new ParDoStep.StatelessContext(name(), bundleFinalization),
            spec.inputCoder(),
            spec.outputCoders(),
            spec.windowingStrategy(),
            spec.schemaInformation(),
            spec.sideInputMapping());
    waits =
        sideInputs == null
            ? null
            : new SideInputWaits<>(
                sideInputs, this::processNow, bundleFinalization::awaitsSnapshot);
  }

  @Override
  protected void startBundle() {
    runner.startBundle();
  }

  @Override
  @SuppressWarnings("unchecked")
  protected void process(int port, WindowedValue<?> element) throws Exception {
    WindowedValue<KV<byte[], KV<InputT, RestrictionT>>> input =
        (WindowedValue<KV<byte[], KV<InputT, RestrictionT>>>) element;
    if (port > 0) {
      waits.addSideInput(port - 1, element);
    } else if (waits == null) {
      for (WindowedValue<KV<byte[], KV<InputT, RestrictionT>>> single : input.explodeWindows()) {
        processNow(single);
      }
    } else {
      waits.offer(input);
    }
  }

  /** Seeds ProcessFn with one keyed restriction, in one window. */
  private void processNow(WindowedValue<KV<byte[], KV<InputT, RestrictionT>>> single) {
    byte[] key = single.getValue().getKey();
    runner.processElement(
        WindowedValues.valueInGlobalWindow(
            KeyedWorkItems.elementsWorkItem(
                key, List.of(single.withValue(single.getValue().getValue())))));
  }

  @Override
  protected void onPortWatermark(int port, long watermarkMillis) throws Exception {
    if (port > 0) {
      waits.advanceSideInputWatermark(port - 1, watermarkMillis);
    }
  }

  @Override
  protected void onInputWatermark(long watermarkMillis) {
    timers.setInputWatermark(watermarkMillis);
    if (watermarkMillis == Long.MAX_VALUE) {
      timers.setProcessingTime(Long.MAX_VALUE); // Input ended: resume every residual now.
      resumeDue();
    }
  }

  @Override
  protected void onProcessingTime(long nowMillis) {
    timers.setProcessingTime(nowMillis);
    resumeDue();
  }

  /**
   * Resumes the due residuals in timer order, at least one if any is due, and stops early once a
   * finalization callback waits for a snapshot (see the class comment); the rest stays due.
   */
  private void resumeDue() {
    for (KeyedTimers.Timer timer = timers.pollDueProcessingTimer();
        timer != null;
        timer = timers.pollDueProcessingTimer()) {
      runner.processElement(
          WindowedValues.valueInGlobalWindow(
              KeyedWorkItems.timersWorkItem(timer.key().bytes(), List.of(timer.data()))));
      if (bundleFinalization.awaitsSnapshot()) {
        return;
      }
    }
  }

  /**
   * A call stopped early: released elements wait to be offered, or residuals are due. Once input
   * ended every residual is due at once (processing time is then the end of time).
   */
  @Override
  protected boolean workLeft() {
    return (waits != null && waits.released()) || timers.processingTimerDue();
  }

  /** The released elements first (they came before the residuals' resumes), then the resumes. */
  @Override
  protected void continueWork() throws Exception {
    if (waits != null && waits.released()) {
      waits.continueRelease();
    } else {
      resumeDue();
    }
  }

  @Override
  protected long nextProcessingTimeMillis() {
    return timers.nextProcessingTimeMillis();
  }

  @Override
  protected long holdMillis() {
    return waits == null ? states.holdMillis() : Math.min(states.holdMillis(), waits.holdMillis());
  }

  @Override
  protected void finishBundle() throws Exception {
    runner.finishBundle();
  }

  /**
   * State and timers of every key: runners-core's ProcessFn keeps each residual restriction, its
   * element, watermark estimator state and hold in state, and resumes it on a timer. Then what
   * waits for side inputs.
   */
  @Override
  protected void snapshot(DataOutputStream out) throws Exception {
    super.snapshot(out);
    states.snapshot(out);
    timers.snapshot(out, windowCoder());
    if (waits != null) {
      waits.snapshot(out, waitingCoder());
    }
  }

  @Override
  protected void restore(DataInputStream in) throws Exception {
    super.restore(in);
    states.restore(in);
    timers.restore(in, windowCoder());
    if (waits != null) {
      waits.restore(in, waitingCoder());
    }
  }

  /** Main-input elements (keyed restrictions) wait as they came, before becoming work items. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private Coder<WindowedValue<KV<byte[], KV<InputT, RestrictionT>>>> waitingCoder() {
    KeyedWorkItemCoder<byte[], KV<InputT, RestrictionT>> workItemCoder =
        (KeyedWorkItemCoder) spec.inputCoder();
    return (Coder)
        WindowedValues.getFullCoder(
            KvCoder.of(workItemCoder.getKeyCoder(), workItemCoder.getElementCoder()),
            windowCoder());
  }

  @Override
  protected void close() throws Exception {
    if (waits != null) {
      waits.checkNoneWaiting(name());
    }
    super.close();
  }
}
