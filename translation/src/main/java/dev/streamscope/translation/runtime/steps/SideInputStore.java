package dev.streamscope.translation.runtime.steps;

import dev.streamscope.translation.runtime.Watermarks;
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
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.WindowedValue;

/**
 * The side inputs of one ParDo partition: every element of each view's PCollection, per window.
 * A window of a view is ready once that view's watermark passed the window's end, so a side input
 * is read only when complete, whatever order its elements arrived in.
 */
final class SideInputStore implements ReadyCheckingSideInputReader {
  private final List<PCollectionView<?>> views;
  private final List<Map<BoundedWindow, List<Object>>> valuesByView = new ArrayList<>();
  private final List<Map<BoundedWindow, Object>> materializedByView = new ArrayList<>();
  private final long[] watermarkMillis;

  SideInputStore(List<PCollectionView<?>> views) {
    this.views = views;
    for (int i = 0; i < views.size(); i++) {
      valuesByView.add(new HashMap<>());
      materializedByView.add(new HashMap<>());
    }
    this.watermarkMillis = new long[views.size()];
    java.util.Arrays.fill(watermarkMillis, Long.MIN_VALUE);
  }

  void add(int viewIndex, WindowedValue<?> element) {
    for (BoundedWindow window : element.getWindows()) {
      valuesByView.get(viewIndex).computeIfAbsent(window, w -> new ArrayList<>()).add(element.getValue());
      materializedByView.get(viewIndex).remove(window);
    }
  }

  void advanceWatermark(int viewIndex, long watermark) {
    watermarkMillis[viewIndex] = Math.max(watermarkMillis[viewIndex], watermark);
  }

  @Override
  public boolean isReady(PCollectionView<?> view, BoundedWindow window) {
    return Watermarks.isDue(window.maxTimestamp(), watermarkMillis[indexOf(view)]);
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
