package dev.streamscope.translation.runtime.steps;

import dev.streamscope.translation.runtime.ByteKey;
import dev.streamscope.translation.runtime.KeyedStates;
import dev.streamscope.translation.runtime.KeyedTimers;
import dev.streamscope.translation.runtime.Step;
import dev.streamscope.translation.runtime.Watermarks;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.core.LateDataUtils;
import org.apache.beam.runners.core.NullSideInputReader;
import org.apache.beam.runners.core.ReduceFnRunner;
import org.apache.beam.runners.core.SystemReduceFn;
import org.apache.beam.runners.core.TimerInternals.TimerData;
import org.apache.beam.runners.core.triggers.ExecutableTriggerStateMachine;
import org.apache.beam.runners.core.triggers.TriggerStateMachines;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.util.construction.TriggerTranslation;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;
import org.apache.beam.sdk.values.WindowingStrategy;

/**
 * Beam's GroupByKey on a key-partitioned input: one runners-core {@link ReduceFnRunner} per key
 * (windowing, triggers, allowed lateness, accumulation mode), with per-key state and one timer
 * queue for all keys. Elements of windows already garbage-collected are dropped as late.
 *
 * <p>The reduce function decides what a pane holds: the buffered values (GroupByKey) or a combined
 * value (a lifted Combine.perKey, whose inputs are then partial accumulators).
 */
public final class GroupByKeyStep<K, V, OutputT> extends Step {
  private final KvCoder<K, V> inputCoder;
  private final WindowingStrategy<?, BoundedWindow> windowingStrategy;
  private final SystemReduceFn<K, V, ?, OutputT, BoundedWindow> reduceFn;
  private final KeyedStates states;
  private final KeyedTimers timers = new KeyedTimers();
  private final Map<ByteKey, ReduceFnRunner<K, V, OutputT, BoundedWindow>> runners =
      new HashMap<>();
  private ExecutableTriggerStateMachine trigger;

  /** A GroupByKey: panes hold every value. */
  public static <K, V> GroupByKeyStep<K, V, Iterable<V>> grouping(
      String name, KvCoder<K, V> inputCoder, WindowingStrategy<?, ?> windowingStrategy) {
    return new GroupByKeyStep<>(
        name, inputCoder, windowingStrategy, SystemReduceFn.buffering(inputCoder.getValueCoder()));
  }

  @SuppressWarnings("unchecked")
  public GroupByKeyStep(
      String name,
      KvCoder<K, V> inputCoder,
      WindowingStrategy<?, ?> windowingStrategy,
      SystemReduceFn<K, V, ?, OutputT, BoundedWindow> reduceFn) {
    super(name);
    this.inputCoder = inputCoder;
    this.windowingStrategy = (WindowingStrategy<?, BoundedWindow>) windowingStrategy;
    this.reduceFn = reduceFn;
    this.states =
        new KeyedStates(bytes -> CoderUtils.decodeFromByteArray(inputCoder.getKeyCoder(), bytes));
  }

  @Override
  protected void open() {
    trigger =
        ExecutableTriggerStateMachine.create(
            TriggerStateMachines.stateMachineForTrigger(
                TriggerTranslation.toProto(windowingStrategy.getTrigger())));
  }

  @Override
  @SuppressWarnings("unchecked")
  protected void process(int port, WindowedValue<?> element) throws Exception {
    WindowedValue<KV<K, V>> input = (WindowedValue<KV<K, V>>) element;
    K key = input.getValue().getKey();
    V value = input.getValue().getValue();
    List<WindowedValue<V>> live = new ArrayList<>(1);
    for (WindowedValue<KV<K, V>> single : input.explodeWindows()) {
      BoundedWindow window = single.getWindows().iterator().next();
      if (!isExpired(window)) {
        live.add(WindowedValues.of(value, single.getTimestamp(), window, single.getPaneInfo()));
      }
    }
    if (live.isEmpty()) {
      return;
    }
    ByteKey keyBytes = new ByteKey(CoderUtils.encodeToByteArray(inputCoder.getKeyCoder(), key));
    ReduceFnRunner<K, V, OutputT, BoundedWindow> runner = runnerFor(keyBytes, key);
    runner.processElements(live);
    runner.persist();
    if (!windowingStrategy.getWindowFn().isNonMerging()) {
      states.forKey(keyBytes, key).forgetEmptyWindows(); // The windows a merge cleared.
    }
  }

  private boolean isExpired(BoundedWindow window) {
    long watermark = timersWatermark;
    return watermark != Long.MIN_VALUE
        && Watermarks.isDue(LateDataUtils.garbageCollectionTime(window, windowingStrategy), watermark);
  }

  private long timersWatermark = Long.MIN_VALUE;

  /**
   * The key's runner, made on first use (for a key known only from a restored timer, {@code key}
   * is null and decoded from its bytes). A ReduceFnRunner keeps everything in state and timers
   * (it persists after every call), so a new one over restored state continues the old one.
   */
  @SuppressWarnings("unchecked")
  private ReduceFnRunner<K, V, OutputT, BoundedWindow> runnerFor(ByteKey keyBytes, K key) {
    ReduceFnRunner<K, V, OutputT, BoundedWindow> runner = runners.get(keyBytes);
    if (runner == null) {
      KeyedStates.KeyState state = states.forKey(keyBytes, key);
      runner =
          new ReduceFnRunner<>(
              (K) state.getKey(),
              windowingStrategy,
              trigger,
              state,
              timers.forKey(keyBytes),
              grouped -> output(0, grouped),
              NullSideInputReader.empty(),
              reduceFn,
              options());
      runners.put(keyBytes, runner);
    }
    return runner;
  }

  @Override
  protected void onInputWatermark(long watermarkMillis) throws Exception {
    timersWatermark = watermarkMillis;
    timers.setInputWatermark(watermarkMillis);
    if (watermarkMillis == Long.MAX_VALUE) {
      timers.setProcessingTime(Long.MAX_VALUE);
    }
    fireDueTimers();
    timers.setOutputWatermark(Math.min(watermarkMillis, holdMillis()));
  }

  @Override
  protected void onProcessingTime(long nowMillis) throws Exception {
    timers.setProcessingTime(nowMillis);
    fireDueTimers();
  }

  /**
   * Fires every due timer, all timers of one key in one {@code onTimers} call: ReduceFnRunner
   * decides from the window's state, not the timer, and expects an end-of-window and a
   * garbage-collection timer that are due together to arrive together (else it would fire the
   * window twice). Keys go in the order of their earliest due timer.
   */
  private void fireDueTimers() throws Exception {
    while (true) {
      Map<ByteKey, List<TimerData>> dueByKey = new LinkedHashMap<>();
      for (KeyedTimers.Timer timer = timers.pollDueEventTimer();
          timer != null;
          timer = timers.pollDueEventTimer()) {
        dueByKey.computeIfAbsent(timer.key(), k -> new ArrayList<>()).add(timer.data());
      }
      for (KeyedTimers.Timer timer = timers.pollDueProcessingTimer();
          timer != null;
          timer = timers.pollDueProcessingTimer()) {
        dueByKey.computeIfAbsent(timer.key(), k -> new ArrayList<>()).add(timer.data());
      }
      if (dueByKey.isEmpty()) {
        return;
      }
      for (Map.Entry<ByteKey, List<TimerData>> due : dueByKey.entrySet()) {
        ReduceFnRunner<K, V, OutputT, BoundedWindow> runner = runnerFor(due.getKey(), null);
        runner.onTimers(due.getValue());
        runner.persist();
        forgetIfDone(due.getKey());
      }
    }
  }

  /**
   * Drops what a key's timers left empty: the cells of its windows (a fired window's, one past
   * garbage collection), and the key itself, with its runner, once it holds nothing and waits for
   * no timer. Otherwise every window and key ever seen would stay, in memory and in snapshots.
   */
  private void forgetIfDone(ByteKey key) {
    states.forKey(key, null).forgetEmptyWindows();
    if (!timers.hasTimers(key) && states.forgetKeyIfEmpty(key)) {
      runners.remove(key);
    }
  }

  /** Keys whose state (or runner) is in memory: those with a window not done yet. */
  public int keysInMemory() {
    return Math.max(states.keyCount(), runners.size());
  }

  @Override
  protected long nextProcessingTimeMillis() {
    return timers.nextProcessingTimeMillis();
  }

  @Override
  protected long holdMillis() {
    return states.holdMillis();
  }

  @Override
  protected void snapshot(DataOutputStream out) throws Exception {
    out.writeLong(timersWatermark);
    states.snapshot(out);
    timers.snapshot(out, windowingStrategy.getWindowFn().windowCoder());
  }

  @Override
  protected void restore(DataInputStream in) throws Exception {
    timersWatermark = in.readLong();
    states.restore(in);
    timers.restore(in, windowingStrategy.getWindowFn().windowCoder());
  }
}
