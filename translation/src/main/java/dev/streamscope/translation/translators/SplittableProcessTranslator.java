package dev.streamscope.translation.translators;

import dev.streamscope.translation.StageGraphBuilder.StageInput;
import dev.streamscope.translation.TransformTranslator;
import dev.streamscope.translation.TranslationContext;
import dev.streamscope.translation.runtime.steps.DoFnStep;
import dev.streamscope.translation.runtime.steps.SplittableProcessStep;
import dev.streamscope.translation.runtime.steps.UniqueKeyStep;
import dev.streamscope.vertex.graph.EdgeKind;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.core.KeyedWorkItemCoder;
import org.apache.beam.runners.core.SplittableParDoViaKeyedWorkItems.ProcessFn;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.runners.PTransformOverride;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.transforms.DoFnSchemaInformation;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.util.construction.PTransformMatchers;
import org.apache.beam.sdk.util.construction.SplittableParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;

/**
 * Splittable DoFns. Beam's {@link SplittableParDo} expansion (an override applied before
 * translation) pairs each element with its restrictions, splits them and keys each with a unique
 * key; this translates the keying deterministically ({@link UniqueKeyStep}) and the primitive that
 * runs the restrictions, {@code beam:runners_core:transforms:splittable_process:v1} ({@code
 * ProcessKeyedElements}), as a stage fed by those keys ({@link SplittableProcessStep}), side inputs
 * broadcast. Bounded and unbounded DoFns run the same way: checkpoints after a number of outputs,
 * resumed by processing-time timers.
 */
public final class SplittableProcessTranslator implements TransformTranslator {
  /** Outputs of one ProcessElement call before the runner asks for a checkpoint. */
  static final int OUTPUTS_PER_CALL_MAX = 10_000;

  /** The override that expands splittable ParDos (after reads were made primitive). */
  @SuppressWarnings({"rawtypes", "unchecked"})
  public static PTransformOverride expansion() {
    return PTransformOverride.of(
        PTransformMatchers.splittableParDo(), new SplittableParDo.OverrideFactory());
  }

  /** True if {@code node} is the random keying step inside a splittable DoFn's expansion. */
  public static boolean isUniqueKeying(TransformHierarchy.Node node) {
    TransformHierarchy.Node parent = node.getEnclosingNode();
    return node.getTransform() instanceof WithKeys
        && parent != null
        && parent.getTransform() instanceof SplittableParDo;
  }

  /** Translates the keying of a splittable DoFn's restrictions: fused, deterministic keys. */
  public static void translateUniqueKeying(TranslationContext context) {
    String name = context.stepName();
    context
        .stages()
        .fused(
            name, partition -> new UniqueKeyStep(name), context.mainInput(), context.outputList());
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public void translate(TranslationContext context) {
    String name = context.stepName();
    SplittableParDo.ProcessKeyedElements<Object, Object, Object, Object> transform =
        (SplittableParDo.ProcessKeyedElements<Object, Object, Object, Object>)
            context.node().getTransform();
    PCollection<?> input = context.mainInput();
    Map<TupleTag<?>, PCollection<?>> outputs = new LinkedHashMap<>(context.outputs());
    Map<TupleTag<?>, Coder<?>> outputCoders = new LinkedHashMap<>();
    outputs.forEach((tag, collection) -> outputCoders.put(tag, collection.getCoder()));
    ProcessFn<Object, Object, Object, Object, Object> processFn =
        new ProcessFn<>(
            transform.getFn(),
            transform.getElementCoder(),
            transform.getRestrictionCoder(),
            transform.getWatermarkEstimatorStateCoder(),
            transform.getInputWindowingStrategy(),
            transform.getSideInputMapping());
    Coder<?> workItemCoder =
        KeyedWorkItemCoder.of(
            ByteArrayCoder.of(),
            KvCoder.of(transform.getElementCoder(), transform.getRestrictionCoder()),
            transform.getInputWindowingStrategy().getWindowFn().windowCoder());
    List<PCollectionView<?>> sideInputs = transform.getSideInputs();
    DoFnStep.Spec spec =
        new DoFnStep.Spec(
            processFn,
            transform.getMainOutputTag(),
            new ArrayList<>(outputs.keySet()),
            workItemCoder,
            outputCoders,
            transform.getInputWindowingStrategy(),
            sideInputs,
            transform.getSideInputMapping(),
            DoFnSchemaInformation.create());
    List<StageInput> stageInputs = StageInput.withSideInputs(input, EdgeKind.HASH, sideInputs);
    context
        .stages()
        .rooted(
            name,
            context.parallelism(),
            partition -> new SplittableProcessStep<>(name, spec, OUTPUTS_PER_CALL_MAX),
            stageInputs,
            new ArrayList<>(outputs.values()));
  }
}
