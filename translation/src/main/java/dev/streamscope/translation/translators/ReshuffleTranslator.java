package dev.streamscope.translation.translators;

import dev.streamscope.translation.StageGraphBuilder.StageInput;
import dev.streamscope.translation.TranslationContext;
import dev.streamscope.translation.runtime.steps.FlattenStep;
import dev.streamscope.vertex.graph.EdgeKind;
import java.util.List;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.transforms.Redistribute;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.util.construction.PTransformTranslation;

/**
 * {@code beam:transform:reshuffle:v1}, {@code Reshuffle.viaRandomKey()} and {@code
 * Redistribute.arbitrarily()}, translated as what they mean rather than how Beam expands them:
 * elements unchanged (timestamps, windows, panes), redistributed over the partitions of a new
 * stage. By key for {@code Reshuffle.of()}; dealt round-robin in emission order for the random-key
 * variants, whose expansions draw random keys and would make the redistribution differ on every
 * replay (a recomputed vertex would fail as a determinism violation).
 */
public final class ReshuffleTranslator {
  private ReshuffleTranslator() {}

  public static boolean isReshuffle(TransformHierarchy.Node node) {
    return isRandomlyKeyed(node)
        || PTransformTranslation.RESHUFFLE_URN.equals(
            PTransformTranslation.urnForTransformOrNull(node.getTransform()));
  }

  private static boolean isRandomlyKeyed(TransformHierarchy.Node node) {
    return node.getTransform() instanceof Reshuffle.ViaRandomKey
        || node.getTransform() instanceof Redistribute.RedistributeArbitrarily;
  }

  public static void translate(TranslationContext context) {
    String name = context.stepName();
    EdgeKind kind = isRandomlyKeyed(context.node()) ? EdgeKind.REBALANCE : EdgeKind.HASH;
    context
        .stages()
        .rooted(
            name,
            context.parallelism(),
            partition -> new FlattenStep(name),
            List.of(new StageInput(context.mainInput(), kind)),
            context.outputList());
  }
}
