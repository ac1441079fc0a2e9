package dev.streamscope.translation.overrides;

import java.lang.reflect.Field;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.runners.PTransformOverride;
import org.apache.beam.sdk.runners.PTransformOverrideFactory;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.CombineFnBase.GlobalCombineFn;
import org.apache.beam.sdk.util.construction.PTransformReplacements;
import org.apache.beam.sdk.util.construction.ReplacementOutputs;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;

/**
 * {@code Combine.perKey(fn).withHotKeyFanout(...)} (and {@code Combine.globally(fn).withFanout(n)},
 * which uses it) spreads each hot key over sub-keys chosen from a random nonce drawn per bundle,
 * so a replay would route its partial results to other partitions and fail as a determinism
 * violation. The fanout only relieves the reducer of a hot key; StreamScope already combines every
 * key partially in each partition before the shuffle (combiner lifting). So this override runs
 * the plain {@code Combine.perKey} of the same CombineFn, which gives the same results.
 *
 * <p>Beam keeps the transform's fn private: it is read reflectively, and a Beam version without
 * these fields fails the translation naming this class.
 */
public final class HotKeyFanoutOverride {
  private HotKeyFanoutOverride() {}

  /** The override for {@link org.apache.beam.sdk.Pipeline#replaceAll}. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public static PTransformOverride override() {
    return PTransformOverride.of(
        application -> application.getTransform() instanceof Combine.PerKeyWithHotKeyFanout,
        (PTransformOverrideFactory) new Factory<>());
  }

  private static final class Factory<K, InputT, OutputT>
      implements PTransformOverrideFactory<
          PCollection<KV<K, InputT>>,
          PCollection<KV<K, OutputT>>,
          Combine.PerKeyWithHotKeyFanout<K, InputT, OutputT>> {
    @Override
    @SuppressWarnings("unchecked")
    public PTransformReplacement<PCollection<KV<K, InputT>>, PCollection<KV<K, OutputT>>>
        getReplacementTransform(
            AppliedPTransform<
                    PCollection<KV<K, InputT>>,
                    PCollection<KV<K, OutputT>>,
                    Combine.PerKeyWithHotKeyFanout<K, InputT, OutputT>>
                transform) {
      Combine.PerKeyWithHotKeyFanout<K, InputT, OutputT> fanout = transform.getTransform();
      GlobalCombineFn<? super InputT, ?, OutputT> fn =
          (GlobalCombineFn<? super InputT, ?, OutputT>) field(fanout, "fn");
      boolean fewKeys = (Boolean) field(fanout, "fewKeys");
      List<PCollectionView<?>> sideInputs = (List<PCollectionView<?>>) field(fanout, "sideInputs");
      Combine.PerKey<K, InputT, OutputT> plain =
          fewKeys ? Combine.fewKeys(fn) : Combine.perKey(fn);
      if (!sideInputs.isEmpty()) {
        plain = plain.withSideInputs(sideInputs);
      }
      return PTransformReplacement.of(PTransformReplacements.getSingletonMainInput(transform), plain);
    }

    @Override
    public Map<PCollection<?>, ReplacementOutput> mapOutputs(
        Map<TupleTag<?>, PCollection<?>> outputs, PCollection<KV<K, OutputT>> newOutput) {
      return ReplacementOutputs.singleton(outputs, newOutput);
    }
  }

  private static Object field(Combine.PerKeyWithHotKeyFanout<?, ?, ?> fanout, String name) {
    try {
      Field field = Combine.PerKeyWithHotKeyFanout.class.getDeclaredField(name);
      field.setAccessible(true);
      return field.get(fanout);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IllegalStateException(
          "HotKeyFanoutOverride cannot read Combine.PerKeyWithHotKeyFanout." + name
              + " (has Beam changed it?): " + e,
          e);
    }
  }
}
