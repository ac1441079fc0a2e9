package dev.streamscope.translation.translators;

import dev.streamscope.translation.StageGraphBuilder.StageInput;
import dev.streamscope.translation.TranslationContext;
import dev.streamscope.translation.runtime.steps.FlattenStep;
import dev.streamscope.vertex.graph.EdgeKind;
import java.util.List;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.util.construction.PTransformTranslation;

/**
 * {@code beam:transform:reshuffle:v1} and {@code Reshuffle.viaRandomKey()}, translated as what
 * they mean rather than how Beam expands them: elements unchanged (timestamps, windows, panes),
 * redistributed over the partitions of a new stage. By key for {@code Reshuffle.of()}; dealt
 * round-robin in emission order for the random-key variant, whose expansion draws random keys and
 * would make the redistribution differ on every replay.
 */
public final class ReshuffleTranslator {
  private ReshuffleTranslator() {}

  public static boolean isReshuffle(TransformHierarchy.Node node) {
    return node.getTransform() instanceof Reshuffle.ViaRandomKey
        || PTransformTranslation.RESHUFFLE_URN.equals(
            PTransformTranslation.urnForTransformOrNull(node.getTransform()));
  }

  public static void translate(TranslationContext context) {
    String name = context.stepName();
    EdgeKind kind =
        context.node().getTransform() instanceof Reshuffle.ViaRandomKey
            ? EdgeKind.REBALANCE
            : EdgeKind.HASH;
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
