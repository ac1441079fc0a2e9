package dev.streamscope.translation.runtime.steps;

import dev.streamscope.translation.runtime.ByteKey;
import dev.streamscope.translation.runtime.SnapshotIo;
import dev.streamscope.translation.runtime.Step;
import dev.streamscope.translation.runtime.Watermarks;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.runners.core.LateDataUtils;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.Combine.CombineFn;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;
import org.apache.beam.sdk.values.WindowingStrategy;

/**
 * The consumer half of a lifted Combine.perKey in the commonest case, without a ReduceFnRunner
 * per key: non-merging windows, the default trigger, no allowed lateness, end-of-window
 * timestamps. Then each (key, window) fires exactly once, when the watermark passes the window's
 * end, as the window's only pane (ON_TIME, first and last); partial accumulators of windows
 * already fired are late and dropped. This is what runners-core's ReduceFnRunner does for that
 * strategy, at a fraction of the cost per window; the differential tests check them against
 * each other (see CombinePerKeyTranslator for when it applies).
 *
 * <p>Order: windows fire by end time, then in their first-seen order; keys of a window in their
 * first-seen order. Both follow from the input order alone.
 */
public final class OnTimeCombineStep<K, AccumT, OutputT> extends Step {
  private final CombineFn<?, AccumT, OutputT> combineFn;
  private final Coder<K> keyCoder;
  private final Coder<AccumT> accumulatorCoder;
  private final WindowingStrategy<?, ?> windowing;
  /** Pending windows by end time; within an end time, in first-seen order. */
  private final TreeMap<Long, Map<BoundedWindow, Map<Object, KV<K, AccumT>>>> pending =
      new TreeMap<>(Comparator.naturalOrder());
  private long inputWatermarkMillis = Long.MIN_VALUE;

  public OnTimeCombineStep(
      String name,
      CombineFn<?, AccumT, OutputT> combineFn,
      Coder<K> keyCoder,
      Coder<AccumT> accumulatorCoder,
      WindowingStrategy<?, ?> windowing) {
    super(name);
    this.combineFn = combineFn;
    this.keyCoder = keyCoder;
    this.accumulatorCoder = accumulatorCoder;
    this.windowing = windowing;
  }

  @Override
  @SuppressWarnings("unchecked")
  protected void process(int port, WindowedValue<?> element) throws Exception {
    KV<K, AccumT> partial = (KV<K, AccumT>) element.getValue();
    Object structuralKey =
        ByteKey.structural(keyCoder, partial.getKey());
    for (BoundedWindow window : element.getWindows()) {
      if (inputWatermarkMillis != Long.MIN_VALUE
          && Watermarks.isDue(LateDataUtils.garbageCollectionTime(window, windowing), inputWatermarkMillis)) {
        continue; // Late beyond allowed lateness (zero): dropped, as ReduceFnRunner would.
      }
      Map<Object, KV<K, AccumT>> byKey =
          pending
              .computeIfAbsent(window.maxTimestamp().getMillis(), end -> new LinkedHashMap<>())
              .computeIfAbsent(window, w -> new LinkedHashMap<>());
      KV<K, AccumT> current = byKey.get(structuralKey);
      byKey.put(
          structuralKey,
          current == null
              ? partial
              : KV.of(current.getKey(), combineFn.mergeAccumulators(List.of(current.getValue(), partial.getValue()))));
    }
  }

  @Override
  protected void onInputWatermark(long watermarkMillis) throws Exception {
    inputWatermarkMillis = watermarkMillis;
    while (!pending.isEmpty()) {
      Map.Entry<Long, Map<BoundedWindow, Map<Object, KV<K, AccumT>>>> earliest = pending.firstEntry();
      if (!Watermarks.isDue(Watermarks.toInstant(earliest.getKey()), watermarkMillis)) {
        return;
      }
      pending.pollFirstEntry();
      for (Map.Entry<BoundedWindow, Map<Object, KV<K, AccumT>>> window : earliest.getValue().entrySet()) {
        List<KV<K, AccumT>> partials = new ArrayList<>(window.getValue().values());
        for (KV<K, AccumT> kv : partials) {
          output(
              0,
              WindowedValues.of(
                  KV.of(kv.getKey(), combineFn.extractOutput(kv.getValue())),
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

  /** The pending windows in firing order, each with its keys' accumulators in first-seen order. */
  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  protected void snapshot(DataOutputStream out) throws IOException {
    Coder windowCoder = windowing.getWindowFn().windowCoder();
    out.writeLong(inputWatermarkMillis);
    int windows = 0;
    for (Map<BoundedWindow, Map<Object, KV<K, AccumT>>> byEnd : pending.values()) {
      windows += byEnd.size();
    }
    out.writeInt(windows);
    for (Map<BoundedWindow, Map<Object, KV<K, AccumT>>> byEnd : pending.values()) {
      for (Map.Entry<BoundedWindow, Map<Object, KV<K, AccumT>>> window : byEnd.entrySet()) {
        SnapshotIo.writeValue(out, windowCoder, window.getKey());
        out.writeInt(window.getValue().size());
        for (KV<K, AccumT> kv : window.getValue().values()) {
          SnapshotIo.writeValue(out, keyCoder, kv.getKey());
          SnapshotIo.writeValue(out, accumulatorCoder, kv.getValue());
        }
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
      Map<Object, KV<K, AccumT>> byKey = new LinkedHashMap<>();
      pending
          .computeIfAbsent(window.maxTimestamp().getMillis(), end -> new LinkedHashMap<>())
          .put(window, byKey);
      for (int k = in.readInt(); k > 0; k--) {
        K key = SnapshotIo.readValue(in, keyCoder);
        AccumT accumulator = SnapshotIo.readValue(in, accumulatorCoder);
        byKey.put(ByteKey.structural(keyCoder, key), KV.of(key, accumulator));
      }
    }
  }
}
