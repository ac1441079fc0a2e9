package dev.streamscope.translation.translators;

import dev.streamscope.translation.StageGraphBuilder.StageInput;
import dev.streamscope.translation.TransformTranslator;
import dev.streamscope.translation.TranslationContext;
import dev.streamscope.translation.runtime.steps.GroupByKeyStep;
import dev.streamscope.translation.runtime.steps.OnTimePanesStep;
import dev.streamscope.vertex.graph.EdgeKind;
import java.util.List;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.WindowingStrategy;

/**
 * {@code beam:transform:group_by_key:v1}: a stage fed by key, grouping with runners-core, or, where
 * every (key, window) has exactly one on-time pane (the default trigger without allowed lateness:
 * every batch GroupByKey that leaves the trigger alone), with {@link OnTimePanesStep}, which only
 * buffers values until the watermark passes their window.
 */
public final class GroupByKeyTranslator implements TransformTranslator {
  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public void translate(TranslationContext context) {
    String name = context.stepName();
    PCollection<?> input = context.mainInput();
    KvCoder coder = (KvCoder) input.getCoder();
    WindowingStrategy<?, ?> windowing = input.getWindowingStrategy();
    boolean onlyOnTimePanes = OnTimePanesStep.applies(windowing);
    context
        .stages()
        .rooted(
            name,
            context.parallelism(),
            partition ->
                onlyOnTimePanes
                    ? OnTimePanesStep.grouping(
                        name, coder.getKeyCoder(), coder.getValueCoder(), windowing)
                    : GroupByKeyStep.grouping(name, coder, windowing),
            List.of(new StageInput(input, EdgeKind.HASH)),
            context.outputList());
  }
}
