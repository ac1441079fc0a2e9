package dev.streamscope.translation.translators;

import dev.streamscope.translation.TransformTranslator;
import dev.streamscope.translation.TranslationContext;
import dev.streamscope.translation.UnsupportedTransformException;
import dev.streamscope.translation.runtime.steps.TestStreamStep;
import java.util.List;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.util.construction.PTransformTranslation;

/**
 * {@code beam:transform:teststream:v1}: a one-partition source replaying the scripted events.
 * Processing-time events are refused at translation until processing time can be driven as
 * logged input.
 */
public final class TestStreamTranslator implements TransformTranslator {
  @Override
  @SuppressWarnings("unchecked")
  public void translate(TranslationContext context) {
    String name = context.stepName();
    List<TestStream.Event<Object>> events =
        ((TestStream<Object>) context.node().getTransform()).getEvents();
    for (TestStream.Event<Object> event : events) {
      if (event instanceof TestStream.ProcessingTimeEvent) {
        throw new UnsupportedTransformException(
            PTransformTranslation.TEST_STREAM_TRANSFORM_URN,
            name,
            "processing-time advances in a TestStream are not supported yet");
      }
    }
    context.stages().source(name, 1, partition -> new TestStreamStep<>(name, events), context.outputList());
  }
}
