package dev.streamscope.translation.translators;

import dev.streamscope.translation.StageGraphBuilder.StageInput;
import dev.streamscope.translation.TranslationContext;
import dev.streamscope.translation.runtime.steps.GroupByKeyStep;
import dev.streamscope.translation.runtime.steps.MergeAccumulatorsFn;
import dev.streamscope.translation.runtime.steps.OnTimePanesStep;
import dev.streamscope.translation.runtime.steps.PartialCombineStep;
import dev.streamscope.vertex.graph.EdgeKind;
import java.util.List;
import org.apache.beam.runners.core.SystemReduceFn;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Combine.CombineFn;
import org.apache.beam.sdk.transforms.windowing.DefaultTrigger;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.util.AppliedCombineFn;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.WindowingStrategy;

/**
 * {@code beam:transform:combine_per_key:v1} with combiner lifting: a partial combine fused into
 * the producer, a shuffle of accumulators by key, and a GroupByKey whose panes merge them. Lifted
 * only where that cannot change the result: a plain CombineFn, no side inputs, non-merging
 * windows, the default trigger and end-of-window timestamps. Otherwise the composite is expanded
 * and its GroupByKey and ParDo translated as usual. Without allowed lateness every (key, window)
 * has exactly one pane, and {@link OnTimePanesStep} emits it without a ReduceFnRunner.
 */
public final class CombinePerKeyTranslator {
  private static final int PARTIAL_ENTRIES_MAX = 10_000;

  private CombinePerKeyTranslator() {}

  /** Translates {@code node} lifted and returns true, or returns false to have it expanded. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public static boolean tryTranslate(Pipeline pipeline, TranslationContext context) {
    Combine.PerKey<Object, Object, Object> combine =
        (Combine.PerKey<Object, Object, Object>) context.node().getTransform();
    if (!(combine.getFn() instanceof CombineFn) || !combine.getSideInputs().isEmpty()) {
      return false;
    }
    PCollection<?> input = context.mainInput();
    WindowingStrategy<?, ?> windowing = input.getWindowingStrategy();
    if (!windowing.getWindowFn().isNonMerging()
        || !(windowing.getTrigger() instanceof DefaultTrigger)
        || windowing.getTimestampCombiner() != TimestampCombiner.END_OF_WINDOW
        || !(input.getCoder() instanceof KvCoder)) {
      return false;
    }
    CombineFn<Object, Object, Object> combineFn = (CombineFn<Object, Object, Object>) combine.getFn();
    KvCoder<Object, Object> inputCoder = (KvCoder<Object, Object>) input.getCoder();
    Coder<Object> accumulatorCoder;
    try {
      accumulatorCoder =
          combineFn.getAccumulatorCoder(pipeline.getCoderRegistry(), inputCoder.getValueCoder());
    } catch (Exception e) {
      return false; // No accumulator coder: run it unlifted.
    }
    String name = context.stepName();
    KvCoder<Object, Object> partialCoder = KvCoder.of(inputCoder.getKeyCoder(), accumulatorCoder);
    PCollection<?> partials =
        PCollection.createPrimitiveOutputInternal(
            pipeline, windowing, input.isBounded(), partialCoder);
    context
        .stages()
        .fused(
            name + "/PartialCombine",
            partition ->
                new PartialCombineStep<>(
                    name + "/PartialCombine",
                    combineFn,
                    inputCoder.getKeyCoder(),
                    accumulatorCoder,
                    windowing.getWindowFn().windowCoder(),
                    PARTIAL_ENTRIES_MAX),
            input,
            List.of(partials));
    MergeAccumulatorsFn<Object, Object> mergeFn =
        new MergeAccumulatorsFn<>(combineFn, accumulatorCoder);
    boolean onlyOnTimePanes = OnTimePanesStep.applies(windowing);
    context
        .stages()
        .rooted(
            name,
            context.parallelism(),
            partition ->
                onlyOnTimePanes
                    ? OnTimePanesStep.combining(
                        name, combineFn, inputCoder.getKeyCoder(), accumulatorCoder, windowing)
                    : new GroupByKeyStep<>(
                    name,
                    partialCoder,
                    windowing,
                    (SystemReduceFn)
                        SystemReduceFn.combining(
                            inputCoder.getKeyCoder(),
                            AppliedCombineFn.withAccumulatorCoder(mergeFn, accumulatorCoder))),
            List.of(new StageInput(partials, EdgeKind.HASH)),
            context.outputList());
    return true;
  }

  /** True if {@code node} is a Combine.perKey this class may lift. */
  public static boolean isCombinePerKey(TransformHierarchy.Node node) {
    return node.getTransform() instanceof Combine.PerKey;
  }
}
