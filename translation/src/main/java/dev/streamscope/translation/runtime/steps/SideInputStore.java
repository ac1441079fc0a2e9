package dev.streamscope.translation.runtime.steps;

import dev.streamscope.translation.runtime.SnapshotIo;
import dev.streamscope.translation.runtime.Watermarks;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.core.InMemoryMultimapSideInputView;
import org.apache.beam.runners.core.ReadyCheckingSideInputReader;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.transforms.Materializations;
import org.apache.beam.sdk.transforms.ViewFn;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.DefaultTrigger;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.WindowedValue;

/**
 * The side inputs of one ParDo partition: every element of each view's PCollection, per window.
 * A window of a view is ready once that view's watermark passed the window's end, so a side input
 * is read only when complete, whatever order its elements arrived in.
 *
 * <p>A triggered view's PCollection has several panes per window; the view holds the latest one,
 * as in the DirectRunner: an element of a later pane replaces the window's contents, one of the
 * same pane joins them, one of an earlier pane is stale and dropped. Such a view is ready as soon
 * as a window holds a pane (its trigger decided the pane may be read), not only once complete.
 */
final class SideInputStore implements ReadyCheckingSideInputReader {
  private final List<PCollectionView<?>> views;
  private final List<Map<BoundedWindow, List<Object>>> valuesByView = new ArrayList<>();
  private final List<Map<BoundedWindow, Object>> materializedByView = new ArrayList<>();
  private final List<Map<BoundedWindow, Long>> paneByView = new ArrayList<>();
  private final long[] watermarkMillis;
  private final boolean[] triggered;

  SideInputStore(List<PCollectionView<?>> views) {
    this.views = views;
    for (int i = 0; i < views.size(); i++) {
      valuesByView.add(new HashMap<>());
      materializedByView.add(new HashMap<>());
      paneByView.add(new HashMap<>());
    }
    this.triggered = new boolean[views.size()];
    for (int i = 0; i < views.size(); i++) {
      triggered[i] =
          !(views.get(i).getWindowingStrategyInternal().getTrigger() instanceof DefaultTrigger);
    }
    this.watermarkMillis = new long[views.size()];
    java.util.Arrays.fill(watermarkMillis, Long.MIN_VALUE);
  }

  void add(int viewIndex, WindowedValue<?> element) {
    long pane = element.getPaneInfo().getIndex();
    for (BoundedWindow window : element.getWindows()) {
      Long current = paneByView.get(viewIndex).get(window);
      if (current != null && pane < current) {
        continue; // An earlier pane than the one the view holds.
      }
      if (current == null || pane > current) {
        paneByView.get(viewIndex).put(window, pane);
        valuesByView.get(viewIndex).put(window, new ArrayList<>());
      }
      valuesByView.get(viewIndex).get(window).add(element.getValue());
      materializedByView.get(viewIndex).remove(window);
    }
  }

  /**
   * Per view: its watermark, and per window its pane index and values in arrival order (with the
   * view's element and window coders). Materialized views are a cache, rebuilt when read.
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  void snapshot(DataOutputStream out) throws IOException {
    out.writeInt(views.size());
    for (int i = 0; i < views.size(); i++) {
      Coder windowCoder = windowCoderOf(views.get(i));
      Coder elementCoder = views.get(i).getCoderInternal();
      out.writeLong(watermarkMillis[i]);
      Map<BoundedWindow, List<Object>> values = valuesByView.get(i);
      out.writeInt(values.size());
      for (Map.Entry<BoundedWindow, List<Object>> window : values.entrySet()) {
        SnapshotIo.writeValue(out, windowCoder, window.getKey());
        out.writeLong(paneByView.get(i).get(window.getKey()));
        List<Object> windowValues = window.getValue();
        SnapshotIo.writeBlock(
            out,
            block -> {
              block.writeInt(windowValues.size());
              for (Object value : windowValues) {
                SnapshotIo.writeNested(block, elementCoder, value);
              }
            });
      }
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  void restore(DataInputStream in) throws IOException {
    int viewCount = in.readInt();
    if (viewCount != views.size()) {
      throw new IllegalStateException(
          "Snapshot has " + viewCount + " side inputs, the step " + views.size());
    }
    for (int i = 0; i < views.size(); i++) {
      Coder windowCoder = windowCoderOf(views.get(i));
      Coder elementCoder = views.get(i).getCoderInternal();
      watermarkMillis[i] = in.readLong();
      for (int w = in.readInt(); w > 0; w--) {
        BoundedWindow window = (BoundedWindow) SnapshotIo.readValue(in, windowCoder);
        paneByView.get(i).put(window, in.readLong());
        List<Object> values = new ArrayList<>();
        SnapshotIo.readBlock(
            in,
            "Side input " + i + ": the values of window " + window,
            block -> {
              for (int v = block.readInt(); v > 0; v--) {
                values.add(SnapshotIo.readNested(block, elementCoder));
              }
            });
        valuesByView.get(i).put(window, values);
      }
    }
  }

  private static Coder<?> windowCoderOf(PCollectionView<?> view) {
    return view.getWindowingStrategyInternal().getWindowFn().windowCoder();
  }

  void advanceWatermark(int viewIndex, long watermark) {
    watermarkMillis[viewIndex] = Math.max(watermarkMillis[viewIndex], watermark);
  }

  /** True if view {@code viewIndex} is triggered: a pane arriving may make it ready. */
  boolean isTriggered(int viewIndex) {
    return triggered[viewIndex];
  }

  /** True if every view is ready for the main-input window {@code mainWindow}. */
  boolean allReady(BoundedWindow mainWindow) {
    for (PCollectionView<?> view : views) {
      if (!isReady(view, view.getWindowMappingFn().getSideInputWindow(mainWindow))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public boolean isReady(PCollectionView<?> view, BoundedWindow window) {
    int index = indexOf(view);
    return Watermarks.isDue(window.maxTimestamp(), watermarkMillis[index])
        || (triggered[index] && paneByView.get(index).containsKey(window));
  }

  @Override
  @SuppressWarnings("unchecked")
  public <T> T get(PCollectionView<T> view, BoundedWindow window) {
    int index = indexOf(view);
    return (T)
        materializedByView
            .get(index)
            .computeIfAbsent(window, w -> materialize(view, valuesByView.get(index).getOrDefault(w, List.of())));
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Object materialize(PCollectionView<?> view, List<Object> values) {
    ViewFn viewFn = view.getViewFn();
    String urn = viewFn.getMaterialization().getUrn();
    switch (urn) {
      case Materializations.ITERABLE_MATERIALIZATION_URN:
        return viewFn.apply((Materializations.IterableView) () -> values);
      case Materializations.MULTIMAP_MATERIALIZATION_URN:
        Coder keyCoder = ((KvCoder) view.getCoderInternal()).getKeyCoder();
        return viewFn.apply(InMemoryMultimapSideInputView.fromIterable(keyCoder, (Iterable) values));
      default:
        throw new IllegalStateException(
            "Side input " + view + " uses materialization " + urn + ", which StreamScope does not"
                + " support");
    }
  }

  private int indexOf(PCollectionView<?> view) {
    int index = views.indexOf(view);
    if (index < 0) {
      throw new IllegalArgumentException("Unknown side input " + view);
    }
    return index;
  }

  @Override
  public <T> boolean contains(PCollectionView<T> view) {
    return views.contains(view);
  }

  @Override
  public boolean isEmpty() {
    return views.isEmpty();
  }
}
