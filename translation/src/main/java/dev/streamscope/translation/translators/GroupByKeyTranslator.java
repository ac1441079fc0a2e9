package dev.streamscope.translation.translators;

import dev.streamscope.translation.StageGraphBuilder.StageInput;
import dev.streamscope.translation.TransformTranslator;
import dev.streamscope.translation.TranslationContext;
import dev.streamscope.translation.runtime.steps.GroupByKeyStep;
import dev.streamscope.vertex.graph.EdgeKind;
import java.util.List;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.values.PCollection;

/** {@code beam:transform:group_by_key:v1}: a stage fed by key, grouping with runners-core. */
public final class GroupByKeyTranslator implements TransformTranslator {
  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public void translate(TranslationContext context) {
    String name = context.stepName();
    PCollection<?> input = context.mainInput();
    KvCoder coder = (KvCoder) input.getCoder();
    context
        .stages()
        .rooted(
            name,
            context.parallelism(),
            partition -> GroupByKeyStep.grouping(name, coder, input.getWindowingStrategy()),
            List.of(new StageInput(input, EdgeKind.HASH)),
            context.outputList());
  }
}
