package dev.streamscope.translation.translators;

import dev.streamscope.translation.StageGraphBuilder.StageInput;
import dev.streamscope.translation.TransformTranslator;
import dev.streamscope.translation.TranslationContext;
import dev.streamscope.translation.runtime.steps.EmptySourceStep;
import dev.streamscope.translation.runtime.steps.FlattenStep;
import dev.streamscope.vertex.graph.EdgeKind;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.values.PCollection;

/**
 * {@code beam:transform:flatten:v1}: one input is fused into its producer; several start a stage
 * that merges them (forward edges where parallelism matches, rebalanced otherwise); none is an
 * empty source.
 */
public final class FlattenTranslator implements TransformTranslator {
  @Override
  public void translate(TranslationContext context) {
    String name = context.stepName();
    List<PCollection<?>> inputs = context.mainInputs();
    if (inputs.isEmpty()) {
      context.stages().source(name, 1, partition -> new EmptySourceStep(name), context.outputList());
    } else if (inputs.size() == 1) {
      context.stages().fused(name, partition -> new FlattenStep(name), inputs.get(0), context.outputList());
    } else {
      List<StageInput> stageInputs = new ArrayList<>();
      for (PCollection<?> input : inputs) {
        stageInputs.add(new StageInput(input, EdgeKind.FORWARD));
      }
      context
          .stages()
          .rooted(name, context.parallelism(), partition -> new FlattenStep(name), stageInputs, context.outputList());
    }
  }
}
