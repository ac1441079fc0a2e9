package dev.streamscope.translation.runtime.steps;

import dev.streamscope.translation.runtime.ByteKey;
import dev.streamscope.translation.runtime.SnapshotIo;
import dev.streamscope.translation.runtime.Step;
import dev.streamscope.translation.runtime.Watermarks;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.runners.core.LateDataUtils;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.Combine.CombineFn;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.DefaultTrigger;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;
import org.apache.beam.sdk.values.WindowingStrategy;

/**
 * A GroupByKey, or the consumer half of a lifted Combine.perKey, in the commonest case (see {@link
 * #applies}), without a ReduceFnRunner per key: non-merging windows, the default trigger, no
 * allowed lateness, end-of-window timestamps. Then each (key, window) fires exactly once, when the
 * watermark passes the window's end, as the window's only pane (ON_TIME, first and last); inputs
 * of windows already fired are late and dropped. This is what runners-core's ReduceFnRunner does
 * for that strategy (GroupByKeyStep), at a fraction of the cost per element: no state cells,
 * timers or holds per (key, window), only the pane's accumulator. The differential tests and the
 * ValidatesRunner suite check them against each other.
 *
 * <p>Order: windows fire by end time, then in their first-seen order; keys of a window in their
 * first-seen order. Both follow from the input order alone.
 *
 * <p>The output watermark is held at the earliest end of a pending window, where ReduceFnRunner
 * holds it for end-of-window timestamps.
 */
public final class OnTimePanesStep<K, InputT, AccumT, OutputT> extends Step {
  /**
   * What a pane keeps of its inputs and what it outputs: a combine's accumulator, or a group's
   * values. Accumulators may be updated in place.
   */
  public interface Accumulation<InputT, AccumT, OutputT> {
    /** The accumulator of a pane whose first input is {@code input}. */
    AccumT start(InputT input);

    /** {@code accumulator} with {@code input} added (it may be {@code accumulator} itself). */
    AccumT add(AccumT accumulator, InputT input);

    OutputT extract(AccumT accumulator);

    /** Writes {@code accumulator} into its window's block (see {@link SnapshotIo#writeBlock}). */
    void write(DataOutputStream block, AccumT accumulator) throws IOException;

    AccumT read(DataInputStream block) throws IOException;
  }

  /** The pending pane of one key in one window. */
  private static final class Pane<K, AccumT> {
    final K key;
    AccumT accumulator;

    Pane(K key, AccumT accumulator) {
      this.key = key;
      this.accumulator = accumulator;
    }
  }

  private final Accumulation<InputT, AccumT, OutputT> accumulation;
  private final Coder<K> keyCoder;
  private final WindowingStrategy<?, ?> windowing;
  /** Pending windows by end time; within an end time, in first-seen order. */
  private final TreeMap<Long, Map<BoundedWindow, Map<Object, Pane<K, AccumT>>>> pending =
      new TreeMap<>();
  /** The window of the last input and its panes: consecutive inputs mostly share a window. */
  private BoundedWindow lastWindow;
  private Map<Object, Pane<K, AccumT>> lastWindowPanes;
  private long inputWatermarkMillis = Long.MIN_VALUE;

  public OnTimePanesStep(
      String name,
      Accumulation<InputT, AccumT, OutputT> accumulation,
      Coder<K> keyCoder,
      WindowingStrategy<?, ?> windowing) {
    super(name);
    if (!applies(windowing)) {
      throw new IllegalArgumentException(
          "Step " + name + ": panes are not only on time under windowing " + windowing);
    }
    this.accumulation = accumulation;
    this.keyCoder = keyCoder;
    this.windowing = windowing;
  }

  /**
   * True if under {@code windowing} every (key, window) has exactly one pane, on time: non-merging
   * windows, the default trigger, no allowed lateness and end-of-window output timestamps.
   */
  public static boolean applies(WindowingStrategy<?, ?> windowing) {
    return windowing.getWindowFn().isNonMerging()
        && windowing.getTrigger() instanceof DefaultTrigger
        && windowing.getAllowedLateness().getMillis() == 0
        && windowing.getTimestampCombiner() == TimestampCombiner.END_OF_WINDOW;
  }

  /** A GroupByKey: a pane holds its key's values in arrival order. */
  public static <K, V> OnTimePanesStep<K, V, List<V>, Iterable<V>> grouping(
      String name, Coder<K> keyCoder, Coder<V> valueCoder, WindowingStrategy<?, ?> windowing) {
    return new OnTimePanesStep<>(name, new Grouping<>(valueCoder), keyCoder, windowing);
  }

  /** A lifted combine's final half: a pane merges its key's partial accumulators. */
  public static <K, AccumT, OutputT> OnTimePanesStep<K, AccumT, AccumT, OutputT> combining(
      String name,
      CombineFn<?, AccumT, OutputT> combineFn,
      Coder<K> keyCoder,
      Coder<AccumT> accumulatorCoder,
      WindowingStrategy<?, ?> windowing) {
    return new OnTimePanesStep<>(
        name, new Combining<>(combineFn, accumulatorCoder), keyCoder, windowing);
  }

  @Override
  @SuppressWarnings("unchecked")
  protected void process(int port, WindowedValue<?> element) throws Exception {
    KV<K, InputT> input = (KV<K, InputT>) element.getValue();
    Object structuralKey = ByteKey.structural(keyCoder, input.getKey());
    for (BoundedWindow window : element.getWindows()) {
      Map<Object, Pane<K, AccumT>> panes = panesOf(window);
      if (panes == null) {
        continue; // Late beyond allowed lateness (zero): dropped, as ReduceFnRunner would.
      }
      Pane<K, AccumT> pane = panes.get(structuralKey);
      if (pane == null) {
        panes.put(structuralKey, new Pane<>(input.getKey(), accumulation.start(input.getValue())));
      } else {
        pane.accumulator = accumulation.add(pane.accumulator, input.getValue());
      }
    }
  }

  /** The pending panes of {@code window}, or null if the window already fired. */
  private Map<Object, Pane<K, AccumT>> panesOf(BoundedWindow window) {
    if (window.equals(lastWindow)) {
      return lastWindowPanes; // Fired windows are never cached: firing clears the cache.
    }
    if (inputWatermarkMillis != Long.MIN_VALUE
        && Watermarks.isDue(
            LateDataUtils.garbageCollectionTime(window, windowing), inputWatermarkMillis)) {
      return null;
    }
    lastWindow = window;
    lastWindowPanes =
        pending
            .computeIfAbsent(window.maxTimestamp().getMillis(), end -> new LinkedHashMap<>())
            .computeIfAbsent(window, w -> new LinkedHashMap<>());
    return lastWindowPanes;
  }

  @Override
  protected void onInputWatermark(long watermarkMillis) throws Exception {
    inputWatermarkMillis = watermarkMillis;
    while (!pending.isEmpty()) {
      Map.Entry<Long, Map<BoundedWindow, Map<Object, Pane<K, AccumT>>>> earliest =
          pending.firstEntry();
      if (!Watermarks.isDue(Watermarks.toInstant(earliest.getKey()), watermarkMillis)) {
        return;
      }
      pending.pollFirstEntry();
      lastWindow = null;
      lastWindowPanes = null;
      for (Map.Entry<BoundedWindow, Map<Object, Pane<K, AccumT>>> window :
          earliest.getValue().entrySet()) {
        for (Pane<K, AccumT> pane : window.getValue().values()) {
          output(
              0,
              WindowedValues.of(
                  KV.of(pane.key, accumulation.extract(pane.accumulator)),
                  window.getKey().maxTimestamp(),
                  window.getKey(),
                  PaneInfo.ON_TIME_AND_ONLY_FIRING));
        }
      }
    }
  }

  @Override
  protected long holdMillis() {
    return pending.isEmpty() ? Long.MAX_VALUE : pending.firstKey();
  }

  /**
   * The pending windows in firing order, each with its keys' accumulators in first-seen order: the
   * window, then one block of its panes.
   */
  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  protected void snapshot(DataOutputStream out) throws IOException {
    Coder windowCoder = windowing.getWindowFn().windowCoder();
    out.writeLong(inputWatermarkMillis);
    int windows = 0;
    for (Map<BoundedWindow, Map<Object, Pane<K, AccumT>>> byEnd : pending.values()) {
      windows += byEnd.size();
    }
    out.writeInt(windows);
    for (Map<BoundedWindow, Map<Object, Pane<K, AccumT>>> byEnd : pending.values()) {
      for (Map.Entry<BoundedWindow, Map<Object, Pane<K, AccumT>>> window : byEnd.entrySet()) {
        SnapshotIo.writeValue(out, windowCoder, window.getKey());
        Map<Object, Pane<K, AccumT>> panes = window.getValue();
        SnapshotIo.writeBlock(
            out,
            block -> {
              block.writeInt(panes.size());
              for (Pane<K, AccumT> pane : panes.values()) {
                SnapshotIo.writeNested(block, keyCoder, pane.key);
                accumulation.write(block, pane.accumulator);
              }
            });
      }
    }
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  protected void restore(DataInputStream in) throws IOException {
    Coder windowCoder = windowing.getWindowFn().windowCoder();
    inputWatermarkMillis = in.readLong();
    for (int w = in.readInt(); w > 0; w--) {
      BoundedWindow window = (BoundedWindow) SnapshotIo.readValue(in, windowCoder);
      Map<Object, Pane<K, AccumT>> panes = new LinkedHashMap<>();
      pending
          .computeIfAbsent(window.maxTimestamp().getMillis(), end -> new LinkedHashMap<>())
          .put(window, panes);
      SnapshotIo.readBlock(
          in,
          "the panes of window " + window,
          block -> {
            for (int k = block.readInt(); k > 0; k--) {
              K key = SnapshotIo.readNested(block, keyCoder);
              panes.put(ByteKey.structural(keyCoder, key), new Pane<>(key, accumulation.read(block)));
            }
          });
    }
  }

  /** GroupByKey: the values in arrival order, output as an unmodifiable list. */
  private static final class Grouping<V> implements Accumulation<V, List<V>, Iterable<V>> {
    private final Coder<V> valueCoder;

    Grouping(Coder<V> valueCoder) {
      this.valueCoder = valueCoder;
    }

    @Override
    public List<V> start(V input) {
      List<V> values = new ArrayList<>(2);
      values.add(input);
      return values;
    }

    @Override
    public List<V> add(List<V> values, V input) {
      values.add(input);
      return values;
    }

    @Override
    public Iterable<V> extract(List<V> values) {
      return Collections.unmodifiableList(values);
    }

    @Override
    public void write(DataOutputStream block, List<V> values) throws IOException {
      block.writeInt(values.size());
      for (V value : values) {
        SnapshotIo.writeNested(block, valueCoder, value);
      }
    }

    @Override
    public List<V> read(DataInputStream block) throws IOException {
      int count = block.readInt();
      if (count < 1) {
        throw new IOException("Corrupt snapshot: a pending pane of " + count + " values");
      }
      List<V> values = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        values.add(SnapshotIo.readNested(block, valueCoder));
      }
      return values;
    }
  }

  /** Lifted Combine.perKey: partial accumulators merged as they come. */
  private static final class Combining<AccumT, OutputT>
      implements Accumulation<AccumT, AccumT, OutputT> {
    private final CombineFn<?, AccumT, OutputT> combineFn;
    private final Coder<AccumT> accumulatorCoder;

    Combining(CombineFn<?, AccumT, OutputT> combineFn, Coder<AccumT> accumulatorCoder) {
      this.combineFn = combineFn;
      this.accumulatorCoder = accumulatorCoder;
    }

    @Override
    public AccumT start(AccumT partial) {
      return partial;
    }

    @Override
    public AccumT add(AccumT accumulator, AccumT partial) {
      return combineFn.mergeAccumulators(List.of(accumulator, partial));
    }

    @Override
    public OutputT extract(AccumT accumulator) {
      return combineFn.extractOutput(accumulator);
    }

    @Override
    public void write(DataOutputStream block, AccumT accumulator) throws IOException {
      SnapshotIo.writeNested(block, accumulatorCoder, accumulator);
    }

    @Override
    public AccumT read(DataInputStream block) throws IOException {
      return SnapshotIo.readNested(block, accumulatorCoder);
    }
  }
}
