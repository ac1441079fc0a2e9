package dev.streamscope.translation.runtime.steps;

import dev.streamscope.translation.runtime.ByteKey;
import dev.streamscope.translation.runtime.KeyedTimers;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import org.apache.beam.runners.core.DoFnRunner;
import org.apache.beam.runners.core.DoFnRunners;
import org.apache.beam.runners.core.NullSideInputReader;
import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.runners.core.StatefulDoFnRunner;
import org.apache.beam.runners.core.TimerInternals.TimerData;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.CausedByDrain;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.WindowedValue;

/**
 * A ParDo with state or timers, on a key-partitioned input. Uses runners-core's stateful runner
 * stack (late data dropping, state cleanup timers) over per-key state; timers of all keys fire in
 * (timestamp, key) order as the watermark or processing time passes them.
 *
 * <p>Side inputs come in on ports 1..n (broadcast); a main-input element whose side inputs are not
 * ready yet waits, holding the watermark, until a side-input watermark makes them ready.
 */
public final class StatefulParDoStep<K, V, OutputT> extends DoFnStep<KV<K, V>, OutputT> {
  private final CurrentKey currentKey =
      new CurrentKey(
          bundleFinalization, bytes -> CoderUtils.decodeFromByteArray(this.keyCoder, bytes));
  private Coder<K> keyCoder;
  private DoFnRunner<KV<K, V>, OutputT> runner;
  private SideInputWaits<KV<K, V>> waits;

  public StatefulParDoStep(String name, Spec<KV<K, V>, OutputT> spec) {
    super(name, spec);
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  protected void open() throws Exception {
    super.open();
    SideInputStore sideInputs =
        spec.sideInputs().isEmpty() ? null : new SideInputStore(spec.sideInputs());
    waits = sideInputs == null ? null : new SideInputWaits<>(sideInputs, this::processNow);
    keyCoder = ((KvCoder<K, V>) spec.inputCoder()).getKeyCoder();
    DoFnRunner<KV<K, V>, OutputT> simple =
        DoFnRunners.simpleRunner(
            options(),
            doFn,
            sideInputs == null ? NullSideInputReader.empty() : sideInputs,
            outputManager(),
            spec.mainOutputTag(),
            additionalOutputTags(),
            currentKey,
            spec.inputCoder(),
            spec.outputCoders(),
            spec.windowingStrategy(),
            spec.schemaInformation(),
            spec.sideInputMapping());
    Coder windowCoder = spec.windowingStrategy().getWindowFn().windowCoder();
    runner =
        DoFnRunners.defaultStatefulDoFnRunner(
            doFn,
            spec.inputCoder(),
            simple,
            currentKey,
            spec.windowingStrategy(),
            new StatefulDoFnRunner.TimeInternalsCleanupTimer<>(
                currentKey.timerInternals(), spec.windowingStrategy()),
            new StatefulDoFnRunner.StateInternalsStateCleaner<>(
                doFn, currentKey.stateInternals(), windowCoder),
            true); // runners-core sorts input for @RequiresTimeSortedInput (buffer + flush timer).
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
      processNow((WindowedValue<KV<K, V>>) element);
    } else {
      waits.offer((WindowedValue<KV<K, V>>) element);
    }
  }

  private void processNow(WindowedValue<KV<K, V>> input) throws Exception {
    K key = input.getValue().getKey();
    currentKey.set(new ByteKey(CoderUtils.encodeToByteArray(keyCoder, key)), key);
    runner.processElement(input);
  }

  /** A side input's watermark advanced: retry what waits for side inputs (before timers fire). */
  @Override
  protected void onPortWatermark(int port, long watermarkMillis) throws Exception {
    if (port > 0) {
      waits.advanceSideInputWatermark(port - 1, watermarkMillis);
    }
  }

  @Override
  protected void onInputWatermark(long watermarkMillis) {
    currentKey.timers.setInputWatermark(watermarkMillis);
    if (watermarkMillis == Long.MAX_VALUE) {
      currentKey.timers.setProcessingTime(Long.MAX_VALUE); // Input ended: nothing waits for time.
    }
    fireDueTimers();
  }

  @Override
  protected void onProcessingTime(long nowMillis) {
    currentKey.timers.setProcessingTime(nowMillis);
    fireDueTimers();
  }

  private void fireDueTimers() {
    while (true) {
      KeyedTimers.Timer timer = currentKey.timers.pollDueEventTimer();
      if (timer == null) {
        timer = currentKey.timers.pollDueProcessingTimer();
      }
      if (timer == null) {
        return;
      }
      fire(timer);
    }
  }

  private void fire(KeyedTimers.Timer timer) {
    TimerData data = timer.data();
    currentKey.set(timer.key(), null);
    BoundedWindow window = ((StateNamespaces.WindowNamespace<?>) data.getNamespace()).getWindow();
    runner.onTimer(
        data.getTimerId(),
        data.getTimerFamilyId(),
        currentKey.keyObject(),
        window,
        data.getTimestamp(),
        data.getOutputTimestamp(),
        data.getDomain(),
        CausedByDrain.NORMAL);
    currentKey.forgetIfDone();
  }

  /** Keys whose state is in memory: those with a window not done yet. */
  public int keysInMemory() {
    return currentKey.states.keyCount();
  }

  @Override
  protected long nextProcessingTimeMillis() {
    return currentKey.timers.nextProcessingTimeMillis();
  }

  @Override
  protected long holdMillis() {
    long hold = currentKey.holdMillis();
    return waits == null ? hold : Math.min(hold, waits.holdMillis());
  }

  @Override
  protected void close() throws Exception {
    if (waits != null) {
      waits.checkNoneWaiting(name());
    }
    super.close();
  }

  @Override
  protected void finishBundle() throws Exception {
    runner.finishBundle();
  }

  /**
   * State and timers of every key, and what waits for side inputs. runners-core's stateful runner
   * keeps everything else in them too (time-sorted input waits in a bag and a flush timer).
   */
  @Override
  protected void snapshot(DataOutputStream out) throws Exception {
    super.snapshot(out);
    currentKey.states.snapshot(out);
    currentKey.timers.snapshot(out, windowCoder());
    if (waits != null) {
      waits.snapshot(out, mainInputCoder());
    }
  }

  @Override
  protected void restore(DataInputStream in) throws Exception {
    super.restore(in);
    currentKey.states.restore(in);
    currentKey.timers.restore(in, windowCoder());
    if (waits != null) {
      waits.restore(in, mainInputCoder());
    }
  }
}
