package dev.streamscope.translation.translators;

import dev.streamscope.translation.TransformTranslator;
import dev.streamscope.translation.TranslationContext;

/**
 * {@code beam:transform:create_view:v1}: nothing to run. A ParDo reading the view is fed the
 * view's PCollection directly, on a broadcast edge (see {@link ParDoTranslator}).
 */
public final class CreateViewTranslator implements TransformTranslator {
  @Override
  public void translate(TranslationContext context) {}
}
