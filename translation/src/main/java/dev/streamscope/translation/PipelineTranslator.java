package dev.streamscope.translation;

import dev.streamscope.translation.overrides.DeterministicListViewOverride;
import dev.streamscope.translation.overrides.DeterministicShardingOverride;
import dev.streamscope.translation.overrides.HotKeyFanoutOverride;
import dev.streamscope.translation.translators.AssignWindowsTranslator;
import dev.streamscope.translation.translators.BoundedUnboundedReadTranslator;
import dev.streamscope.translation.translators.CombinePerKeyTranslator;
import dev.streamscope.translation.translators.CreateViewTranslator;
import dev.streamscope.translation.translators.FlattenTranslator;
import dev.streamscope.translation.translators.GroupByKeyTranslator;
import dev.streamscope.translation.translators.ImpulseTranslator;
import dev.streamscope.translation.translators.ParDoTranslator;
import dev.streamscope.translation.translators.ReadTranslator;
import dev.streamscope.translation.translators.ReshuffleTranslator;
import dev.streamscope.translation.translators.SplittableProcessTranslator;
import dev.streamscope.translation.translators.TestStreamTranslator;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.util.construction.PTransformTranslation;
import org.apache.beam.sdk.util.construction.SplittableParDo;

/**
 * Beam pipeline to StreamScope job graph. Reads are first converted to primitive reads (as the
 * Flink and Samza runners do) and splittable ParDos expanded (Beam's SplittableParDo, see {@link
 * SplittableProcessTranslator}); then every primitive is translated by the one translator
 * registered for its URN, in topological order. A primitive without a translator fails the
 * translation, naming its URN and step.
 */
public final class PipelineTranslator {
  private static final Map<String, TransformTranslator> TRANSLATORS =
      Map.of(
          PTransformTranslation.TEST_STREAM_TRANSFORM_URN, new TestStreamTranslator(),
          PTransformTranslation.IMPULSE_TRANSFORM_URN, new ImpulseTranslator(),
          PTransformTranslation.READ_TRANSFORM_URN, new ReadTranslator(),
          PTransformTranslation.PAR_DO_TRANSFORM_URN, new ParDoTranslator(),
          PTransformTranslation.GROUP_BY_KEY_TRANSFORM_URN, new GroupByKeyTranslator(),
          PTransformTranslation.FLATTEN_TRANSFORM_URN, new FlattenTranslator(),
          PTransformTranslation.ASSIGN_WINDOWS_TRANSFORM_URN, new AssignWindowsTranslator(),
          PTransformTranslation.CREATE_VIEW_TRANSFORM_URN, new CreateViewTranslator(),
          PTransformTranslation.SPLITTABLE_PROCESS_KEYED_URN, new SplittableProcessTranslator());

  private PipelineTranslator() {}

  /** Translates {@code pipeline}, which this changes in place (read conversion). */
  public static TranslatedJob translate(Pipeline pipeline, int parallelism) {
    return translate(pipeline, parallelism, List.of());
  }

  /**
   * Translates {@code pipeline}, which this changes in place (read conversion); the stages of the
   * steps whose full names start with one of {@code nondeterministicSteps} are nondeterministic
   * (see {@link NondeterministicSteps} for those found without being named). A prefix that names
   * no step fails the translation.
   */
  public static TranslatedJob translate(
      Pipeline pipeline, int parallelism, List<String> nondeterministicSteps) {
    if (parallelism < 1) {
      throw new IllegalArgumentException("parallelism must be >= 1, was " + parallelism);
    }
    SplittableParDo.convertReadBasedSplittableDoFnsToPrimitiveReads(pipeline);
    pipeline.replaceAll(List.of(SplittableProcessTranslator.expansion()));
    pipeline.replaceAll(
        List.of(
            DeterministicShardingOverride.override(),
            DeterministicListViewOverride.override(),
            HotKeyFanoutOverride.override()));
    StageGraphBuilder stages = new StageGraphBuilder();
    pipeline.traverseTopologically(
        new Pipeline.PipelineVisitor.Defaults() {
          @Override
          public CompositeBehavior enterCompositeTransform(TransformHierarchy.Node node) {
            if (!node.isRootNode() && tryBoundedUnboundedRead(node)) {
              return CompositeBehavior.DO_NOT_ENTER_TRANSFORM;
            }
            if (!node.isRootNode() && SplittableProcessTranslator.isUniqueKeying(node)) {
              SplittableProcessTranslator.translateUniqueKeying(
                  new TranslationContext(pipeline, node, pipeline.getOptions(), parallelism, stages));
              return CompositeBehavior.DO_NOT_ENTER_TRANSFORM;
            }
            if (!node.isRootNode() && ReshuffleTranslator.isReshuffle(node)) {
              ReshuffleTranslator.translate(
                  new TranslationContext(pipeline, node, pipeline.getOptions(), parallelism, stages));
              return CompositeBehavior.DO_NOT_ENTER_TRANSFORM;
            }
            if (!node.isRootNode()
                && CombinePerKeyTranslator.isCombinePerKey(node)
                && CombinePerKeyTranslator.tryTranslate(
                    pipeline,
                    new TranslationContext(pipeline, node, pipeline.getOptions(), parallelism, stages))) {
              return CompositeBehavior.DO_NOT_ENTER_TRANSFORM;
            }
            return CompositeBehavior.ENTER_TRANSFORM;
          }

          private boolean tryBoundedUnboundedRead(TransformHierarchy.Node node) {
            try {
              return BoundedUnboundedReadTranslator.tryTranslate(
                  new TranslationContext(pipeline, node, pipeline.getOptions(), parallelism, stages));
            } catch (Exception e) {
              throw new IllegalStateException(
                  "Failed to translate step '" + node.getFullName() + "': " + e, e);
            }
          }

          @Override
          public void visitPrimitiveTransform(TransformHierarchy.Node node) {
            String urn = PTransformTranslation.urnForTransformOrNull(node.getTransform());
            TransformTranslator translator = urn == null ? null : TRANSLATORS.get(urn);
            if (translator == null) {
              throw new UnsupportedTransformException(urn, node.getFullName(), null);
            }
            try {
              translator.translate(
                  new TranslationContext(pipeline, node, pipeline.getOptions(), parallelism, stages));
              NondeterministicSteps.mark(node, stages);
            } catch (UnsupportedTransformException e) {
              throw e;
            } catch (Exception e) {
              throw new IllegalStateException(
                  "Failed to translate step '" + node.getFullName() + "' (URN " + urn + "): " + e, e);
            }
          }
        });
    stages.markNamedSteps(nondeterministicSteps);
    JobMetrics metrics = stages.jobMetrics();
    return new TranslatedJob(
        stages.build(pipeline.getOptions(), metrics), metrics, stages.payloads(), stages.stepsByStage());
  }
}
