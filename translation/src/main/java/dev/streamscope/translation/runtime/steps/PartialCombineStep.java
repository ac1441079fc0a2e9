package dev.streamscope.translation.runtime.steps;

import dev.streamscope.translation.runtime.ByteKey;
import dev.streamscope.translation.runtime.SnapshotIo;
import dev.streamscope.translation.runtime.Step;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.Combine.CombineFn;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;

/**
 * The producer-side half of a lifted Combine.perKey: adds each input to an accumulator per (key,
 * window) and emits the accumulators when the input watermark advances or {@code entriesMax} are
 * held, so only partial results cross the shuffle. Until then the held accumulators hold the
 * output watermark at their earliest window end, so no punctuation overtakes them. Emission
 * follows first-seen order, a function of the input alone.
 */
public final class PartialCombineStep<K, InputT, AccumT> extends Step {
  private static final class Entry<K, AccumT> {
    final K key;
    final BoundedWindow window;
    AccumT accumulator;

    Entry(K key, BoundedWindow window, AccumT accumulator) {
      this.key = key;
      this.window = window;
      this.accumulator = accumulator;
    }
  }

  private final CombineFn<InputT, AccumT, ?> combineFn;
  private final Coder<K> keyCoder;
  private final Coder<AccumT> accumulatorCoder;
  private final Coder<BoundedWindow> windowCoder;
  private final int entriesMax;
  /** Per window (first-seen order), per structural key (first-seen order). */
  private final Map<BoundedWindow, Map<Object, Entry<K, AccumT>>> entries = new LinkedHashMap<>();
  private int entryCount;
  private BoundedWindow lastWindow;
  private Map<Object, Entry<K, AccumT>> lastWindowEntries;
  private long holdMillis = Long.MAX_VALUE;

  @SuppressWarnings({"unchecked", "rawtypes"})
  public PartialCombineStep(
      String name,
      CombineFn<InputT, AccumT, ?> combineFn,
      Coder<K> keyCoder,
      Coder<AccumT> accumulatorCoder,
      Coder<? extends BoundedWindow> windowCoder,
      int entriesMax) {
    super(name);
    this.combineFn = combineFn;
    this.keyCoder = keyCoder;
    this.accumulatorCoder = accumulatorCoder;
    this.windowCoder = (Coder) windowCoder;
    this.entriesMax = entriesMax;
  }

  @Override
  @SuppressWarnings("unchecked")
  protected void process(int port, WindowedValue<?> element) throws Exception {
    KV<K, InputT> kv = (KV<K, InputT>) element.getValue();
    Object key = ByteKey.structural(keyCoder, kv.getKey());
    for (BoundedWindow window : element.getWindows()) {
      Map<Object, Entry<K, AccumT>> windowEntries = entriesOf(window);
      Entry<K, AccumT> entry = windowEntries.get(key);
      if (entry == null) {
        entry = new Entry<>(kv.getKey(), window, combineFn.createAccumulator());
        windowEntries.put(key, entry);
        entryCount++;
      }
      entry.accumulator = combineFn.addInput(entry.accumulator, kv.getValue());
    }
    if (entryCount >= entriesMax) {
      flush();
    }
  }

  /** Consecutive elements mostly share a window: remember the last one's map. */
  private Map<Object, Entry<K, AccumT>> entriesOf(BoundedWindow window) {
    if (window.equals(lastWindow)) {
      return lastWindowEntries;
    }
    Map<Object, Entry<K, AccumT>> windowEntries = entries.get(window);
    if (windowEntries == null) {
      windowEntries = new LinkedHashMap<>();
      entries.put(window, windowEntries);
      holdMillis = Math.min(holdMillis, window.maxTimestamp().getMillis());
    }
    lastWindow = window;
    lastWindowEntries = windowEntries;
    return windowEntries;
  }

  @Override
  protected void onInputWatermark(long watermarkMillis) throws Exception {
    flush();
  }

  @Override
  protected long holdMillis() {
    return holdMillis;
  }

  /**
   * Accumulators held since the last flush (a flush needs a watermark advance or a full buffer,
   * so they can outlive a bundle), per window and key in first-seen order, and the hold.
   */
  @Override
  protected void snapshot(DataOutputStream out) throws IOException {
    out.writeLong(holdMillis);
    out.writeInt(entries.size());
    for (Map.Entry<BoundedWindow, Map<Object, Entry<K, AccumT>>> window : entries.entrySet()) {
      SnapshotIo.writeValue(out, windowCoder, window.getKey());
      Map<Object, Entry<K, AccumT>> windowEntries = window.getValue();
      SnapshotIo.writeBlock(
          out,
          block -> {
            block.writeInt(windowEntries.size());
            for (Entry<K, AccumT> entry : windowEntries.values()) {
              SnapshotIo.writeNested(block, keyCoder, entry.key);
              SnapshotIo.writeNested(block, accumulatorCoder, entry.accumulator);
            }
          });
    }
  }

  @Override
  protected void restore(DataInputStream in) throws IOException {
    holdMillis = in.readLong();
    for (int w = in.readInt(); w > 0; w--) {
      BoundedWindow window = SnapshotIo.readValue(in, windowCoder);
      Map<Object, Entry<K, AccumT>> windowEntries = new LinkedHashMap<>();
      entries.put(window, windowEntries);
      SnapshotIo.readBlock(
          in,
          "the accumulators of window " + window,
          block -> {
            for (int k = block.readInt(); k > 0; k--) {
              K key = SnapshotIo.readNested(block, keyCoder);
              AccumT accumulator = SnapshotIo.readNested(block, accumulatorCoder);
              windowEntries.put(
                  ByteKey.structural(keyCoder, key), new Entry<>(key, window, accumulator));
              entryCount++;
            }
          });
    }
  }

  private void flush() throws Exception {
    for (Map<Object, Entry<K, AccumT>> windowEntries : entries.values()) {
      for (Entry<K, AccumT> entry : windowEntries.values()) {
        output(
            0,
            WindowedValues.of(
                KV.of(entry.key, entry.accumulator),
                entry.window.maxTimestamp(),
                entry.window,
                PaneInfo.NO_FIRING));
      }
    }
    entries.clear();
    entryCount = 0;
    lastWindow = null;
    lastWindowEntries = null;
    holdMillis = Long.MAX_VALUE;
  }
}
