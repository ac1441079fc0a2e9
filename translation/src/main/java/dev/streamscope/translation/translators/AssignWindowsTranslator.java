package dev.streamscope.translation.translators;

import dev.streamscope.translation.TransformTranslator;
import dev.streamscope.translation.TranslationContext;
import dev.streamscope.translation.runtime.steps.AssignWindowsStep;
import dev.streamscope.translation.runtime.steps.FlattenStep;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.transforms.windowing.WindowFn;

/** {@code beam:transform:window_into:v1}: fused; without a WindowFn it only passes through. */
public final class AssignWindowsTranslator implements TransformTranslator {
  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public void translate(TranslationContext context) {
    String name = context.stepName();
    WindowFn windowFn = ((Window.Assign<?>) context.node().getTransform()).getWindowFn();
    context
        .stages()
        .fused(
            name,
            partition -> windowFn == null ? new FlattenStep(name) : new AssignWindowsStep<>(name, windowFn),
            context.mainInput(),
            context.outputList());
  }
}
