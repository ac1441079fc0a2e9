package dev.streamscope.translation.translators;

import dev.streamscope.translation.TransformTranslator;
import dev.streamscope.translation.TranslationContext;
import dev.streamscope.translation.runtime.steps.ImpulseStep;

/** {@code beam:transform:impulse:v1}: a one-partition source of one empty element. */
public final class ImpulseTranslator implements TransformTranslator {
  @Override
  public void translate(TranslationContext context) {
    String name = context.stepName();
    context.stages().source(name, 1, partition -> new ImpulseStep(name), context.outputList());
  }
}
