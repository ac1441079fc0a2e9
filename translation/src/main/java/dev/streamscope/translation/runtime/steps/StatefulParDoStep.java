package dev.streamscope.translation.runtime.steps;

import dev.streamscope.translation.runtime.ByteKey;
import dev.streamscope.translation.runtime.KeyedTimers;
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
 */
public final class StatefulParDoStep<K, V, OutputT> extends DoFnStep<KV<K, V>, OutputT> {
  private final CurrentKey currentKey = new CurrentKey();
  private Coder<K> keyCoder;
  private DoFnRunner<KV<K, V>, OutputT> runner;

  public StatefulParDoStep(String name, Spec<KV<K, V>, OutputT> spec) {
    super(name, spec);
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  protected void open() throws Exception {
    super.open();
    if (!spec.sideInputs().isEmpty()) {
      throw new UnsupportedOperationException(
          name() + ": stateful ParDo with side inputs is not supported yet");
    }
    keyCoder = ((KvCoder<K, V>) spec.inputCoder()).getKeyCoder();
    DoFnRunner<KV<K, V>, OutputT> simple =
        DoFnRunners.simpleRunner(
            options(),
            doFn,
            NullSideInputReader.empty(),
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
                doFn, currentKey.stateInternals(), windowCoder));
  }

  @Override
  protected void startBundle() {
    runner.startBundle();
  }

  @Override
  @SuppressWarnings("unchecked")
  protected void process(int port, WindowedValue<?> element) throws Exception {
    WindowedValue<KV<K, V>> input = (WindowedValue<KV<K, V>>) element;
    K key = input.getValue().getKey();
    currentKey.set(new ByteKey(CoderUtils.encodeToByteArray(keyCoder, key)), key);
    runner.processElement(input);
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
  }

  @Override
  protected long nextProcessingTimeMillis() {
    return currentKey.timers.nextProcessingTimeMillis();
  }

  @Override
  protected long holdMillis() {
    return currentKey.holdMillis();
  }

  @Override
  protected void finishBundle() {
    runner.finishBundle();
  }
}
