package dev.streamscope.translation.overrides;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.beam.sdk.io.range.OffsetRange;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.runners.PTransformOverride;
import org.apache.beam.sdk.runners.PTransformOverrideFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.util.construction.PTransformReplacements;
import org.apache.beam.sdk.util.construction.ReplacementOutputs;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionViews.ValueOrMetadata;
import org.apache.beam.sdk.values.TupleTag;

/**
 * {@code View.asList()} with random access (which every non-global-window list view uses) numbers
 * the elements of each bundle and window from a random offset ({@link View.ToListViewDoFn}), so a
 * replay would write other keys and fail as a determinism violation. This override numbers them
 * from the running element count of the DoFn instance instead: the same input gets the same keys
 * on every run and replay. Ranges of different partitions may overlap, which the list view allows
 * (the random offsets only made that unlikely, for fewer values per key).
 */
public final class DeterministicListViewOverride {
  private DeterministicListViewOverride() {}

  /** The override for {@link org.apache.beam.sdk.Pipeline#replaceAll}. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public static PTransformOverride override() {
    return PTransformOverride.of(
        application ->
            application.getTransform() instanceof ParDo.SingleOutput
                && ((ParDo.SingleOutput<?, ?>) application.getTransform()).getFn()
                    instanceof View.ToListViewDoFn,
        (PTransformOverrideFactory) new Factory<>());
  }

  private static final class Factory<T>
      implements PTransformOverrideFactory<
          PCollection<T>,
          PCollection<KV<Long, ValueOrMetadata<T, OffsetRange>>>,
          ParDo.SingleOutput<T, KV<Long, ValueOrMetadata<T, OffsetRange>>>> {
    @Override
    @SuppressWarnings({"unchecked", "rawtypes"}) // ParDo's input is PCollection<? extends T>.
    public PTransformReplacement<PCollection<T>, PCollection<KV<Long, ValueOrMetadata<T, OffsetRange>>>>
        getReplacementTransform(
            AppliedPTransform<
                    PCollection<T>,
                    PCollection<KV<Long, ValueOrMetadata<T, OffsetRange>>>,
                    ParDo.SingleOutput<T, KV<Long, ValueOrMetadata<T, OffsetRange>>>>
                transform) {
      PCollection<T> input = PTransformReplacements.getSingletonMainInput(transform);
      return PTransformReplacement.of(input, (PTransform) ParDo.of(new CountingToListViewDoFn<T>()));
    }

    @Override
    public Map<PCollection<?>, ReplacementOutput> mapOutputs(
        Map<TupleTag<?>, PCollection<?>> outputs,
        PCollection<KV<Long, ValueOrMetadata<T, OffsetRange>>> newOutput) {
      return ReplacementOutputs.singleton(outputs, newOutput);
    }
  }

  /**
   * {@link View.ToListViewDoFn} with the offsets of a window's range in a bundle taken from the
   * instance's running count: the ranges of one window in one instance never overlap.
   */
  static final class CountingToListViewDoFn<T>
      extends DoFn<T, KV<Long, ValueOrMetadata<T, OffsetRange>>> {
    private final Map<BoundedWindow, OffsetRange> windowsToOffsets = new LinkedHashMap<>();
    private long nextOffset = Long.MIN_VALUE + 1; // Long.MIN_VALUE keys the ranges.

    @ProcessElement
    public void processElement(ProcessContext c, BoundedWindow window) {
      OffsetRange range =
          windowsToOffsets.computeIfAbsent(window, w -> new OffsetRange(nextOffset, nextOffset));
      c.output(KV.of(range.getTo(), ValueOrMetadata.create(c.element())));
      windowsToOffsets.put(window, new OffsetRange(range.getFrom(), range.getTo() + 1));
      nextOffset++;
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext c) {
      for (Map.Entry<BoundedWindow, OffsetRange> entry : windowsToOffsets.entrySet()) {
        c.output(
            KV.of(Long.MIN_VALUE, ValueOrMetadata.createMetadata(entry.getValue())),
            entry.getKey().maxTimestamp(),
            entry.getKey());
      }
      windowsToOffsets.clear();
    }
  }
}
