package dev.streamscope.translation.translators;

import dev.streamscope.translation.TransformTranslator;
import dev.streamscope.translation.TranslationContext;
import dev.streamscope.translation.runtime.steps.TestStreamStep;
import java.util.List;
import org.apache.beam.sdk.testing.TestStream;

/**
 * {@code beam:transform:teststream:v1}: a one-partition source replaying the scripted events. A
 * job with a TestStream runs on logical processing time, which the TestStream drives (see {@link
 * dev.streamscope.translation.runtime.FusedStageOperator}).
 */
public final class TestStreamTranslator implements TransformTranslator {
  @Override
  @SuppressWarnings("unchecked")
  public void translate(TranslationContext context) {
    String name = context.stepName();
    List<TestStream.Event<Object>> events =
        ((TestStream<Object>) context.node().getTransform()).getEvents();
    context.stages().useLogicalProcessingTime();
    context.stages().source(name, 1, partition -> new TestStreamStep<>(name, events), context.outputList());
  }
}
