package dev.streamscope.conformance;

import java.util.Map;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.util.construction.PTransformTranslation.TransformPayloadTranslator;
import org.apache.beam.sdk.util.construction.SdkComponents;
import org.apache.beam.sdk.util.construction.TransformPayloadTranslatorRegistrar;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;

/** Primitive transforms that no runner knows how to execute, for the error tests. */
public final class UnknownTransforms {
  private UnknownTransforms() {}

  /** The URN {@link UnknownUrnPrimitive} is translated to (registered by {@link Registrar}). */
  public static final String UNKNOWN_URN = "beam:transform:streamscope-conformance:unknown:v1";

  /** A primitive with no URN at all: it has no translator. */
  public static final class NoUrnPrimitive
      extends PTransform<PCollection<String>, PCollection<String>> {
    @Override
    public PCollection<String> expand(PCollection<String> input) {
      return PCollection.createPrimitiveOutputInternal(
          input.getPipeline(),
          input.getWindowingStrategy(),
          input.isBounded(),
          StringUtf8Coder.of());
    }
  }

  /** A primitive whose URN, {@link #UNKNOWN_URN}, no runner implements. */
  public static final class UnknownUrnPrimitive
      extends PTransform<PCollection<String>, PCollection<String>> {
    @Override
    public PCollection<String> expand(PCollection<String> input) {
      return PCollection.createPrimitiveOutputInternal(
          input.getPipeline(),
          input.getWindowingStrategy(),
          input.isBounded(),
          StringUtf8Coder.of());
    }
  }

  /** A composite that applies {@code primitive} under the name {@code stepName}, then a map. */
  public static final class Wrapping extends PTransform<PCollection<String>, PCollection<String>> {
    private final String stepName;
    private final PTransform<PCollection<String>, PCollection<String>> primitive;

    public Wrapping(String stepName, PTransform<PCollection<String>, PCollection<String>> primitive) {
      this.stepName = stepName;
      this.primitive = primitive;
    }

    @Override
    public PCollection<String> expand(PCollection<String> input) {
      return input
          .apply(stepName, primitive)
          .apply("AfterUnknown", MapElements.into(TypeDescriptors.strings()).via((String s) -> s));
    }
  }

  /** Translates {@link UnknownUrnPrimitive} to a payload-less spec with {@link #UNKNOWN_URN}. */
  static final class UnknownUrnTranslator implements TransformPayloadTranslator<UnknownUrnPrimitive> {
    @Override
    public String getUrn() {
      return UNKNOWN_URN;
    }

    @Override
    public RunnerApi.FunctionSpec translate(
        AppliedPTransform<?, ?, UnknownUrnPrimitive> application, SdkComponents components) {
      return RunnerApi.FunctionSpec.newBuilder().setUrn(UNKNOWN_URN).build();
    }
  }

  /** Registers {@link UnknownUrnTranslator} (see META-INF/services in the test resources). */
  public static final class Registrar implements TransformPayloadTranslatorRegistrar {
    @Override
    @SuppressWarnings("rawtypes")
    public Map<? extends Class<? extends PTransform>, ? extends TransformPayloadTranslator>
        getTransformPayloadTranslators() {
      return Map.of(UnknownUrnPrimitive.class, new UnknownUrnTranslator());
    }
  }
}
