package dev.streamscope.translation;

/** Translates one Beam primitive (one URN) into steps of the stage graph. */
public interface TransformTranslator {
  void translate(TranslationContext context) throws Exception;
}
