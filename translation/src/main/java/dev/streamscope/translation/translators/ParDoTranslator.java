package dev.streamscope.translation.translators;

import dev.streamscope.translation.StageGraphBuilder.StageInput;
import dev.streamscope.translation.NondeterministicSteps;
import dev.streamscope.translation.TransformTranslator;
import dev.streamscope.translation.TranslationContext;
import dev.streamscope.translation.UnsupportedTransformException;
import dev.streamscope.translation.runtime.steps.DoFnStep;
import dev.streamscope.translation.runtime.steps.ParDoStep;
import dev.streamscope.translation.runtime.steps.StatefulParDoStep;
import dev.streamscope.vertex.graph.EdgeKind;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.reflect.DoFnSignatures;
import org.apache.beam.sdk.util.construction.PTransformTranslation;
import org.apache.beam.sdk.util.construction.ParDoTranslation;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;

/**
 * {@code beam:transform:pardo:v1}. A stateless ParDo without side inputs is fused into its
 * producer. With side inputs it starts a stage: main input forward, each side input's PCollection
 * broadcast. A stateful ParDo starts a stage fed by key (its side inputs broadcast too). A ParDo
 * whose DoFn is {@code @RequiresStableInput} starts a stage as well, so that its input comes from
 * an rStream, which a replay never changes (a step fused before it could be nondeterministic).
 */
public final class ParDoTranslator implements TransformTranslator {
  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public void translate(TranslationContext context) throws Exception {
    String name = context.stepName();
    ParDo.MultiOutput<Object, Object> parDo =
        (ParDo.MultiOutput<Object, Object>) context.node().getTransform();
    DoFn<Object, Object> doFn = parDo.getFn();
    if (DoFnSignatures.isSplittable(doFn)) {
      throw new UnsupportedTransformException(
          PTransformTranslation.PAR_DO_TRANSFORM_URN, name, "splittable DoFns are not supported yet");
    }
    AppliedPTransform<?, ?, ?> applied = context.applied();
    PCollection<Object> input = (PCollection<Object>) context.mainInput();
    Map<TupleTag<?>, PCollection<?>> outputs = new LinkedHashMap<>(context.outputs());
    Map<TupleTag<?>, Coder<?>> outputCoders = new LinkedHashMap<>();
    outputs.forEach((tag, collection) -> outputCoders.put(tag, collection.getCoder()));
    List<PCollectionView<?>> sideInputs = new ArrayList<>(parDo.getSideInputs().values());
    DoFnStep.Spec<Object, Object> spec =
        new DoFnStep.Spec<>(
            doFn,
            parDo.getMainOutputTag(),
            new ArrayList<>(outputs.keySet()),
            input.getCoder(),
            outputCoders,
            input.getWindowingStrategy(),
            sideInputs,
            ParDoTranslation.getSideInputMapping(applied),
            ParDoTranslation.getSchemaInformation(applied));
    List<PCollection<?>> outputList = new ArrayList<>(outputs.values());
    if (DoFnSignatures.isStateful(doFn)) {
      List<StageInput> stageInputs = StageInput.withSideInputs(input, EdgeKind.HASH, sideInputs);
      context
          .stages()
          .rooted(
              name,
              context.parallelism(),
              partition -> new StatefulParDoStep(name, spec),
              stageInputs,
              outputList);
    } else if (sideInputs.isEmpty() && !NondeterministicSteps.requiresStableInput(doFn)) {
      context.stages().fused(name, partition -> new ParDoStep<>(name, spec), input, outputList);
    } else {
      List<StageInput> stageInputs = StageInput.withSideInputs(input, EdgeKind.FORWARD, sideInputs);
      context
          .stages()
          .rooted(
              name,
              context.stages().parallelismOf(input, name),
              partition -> new ParDoStep<>(name, spec),
              stageInputs,
              outputList);
    }
  }
}
