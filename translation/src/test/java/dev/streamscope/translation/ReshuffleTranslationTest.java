package dev.streamscope.translation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamscope.vertex.graph.EdgeKind;
import dev.streamscope.vertex.graph.JobGraph;
import dev.streamscope.vertex.graph.StageSpec;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.CrashingRunner;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Redistribute;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;

/** The random-key redistributions become a round-robin edge: no random key a replay would redraw. */
class ReshuffleTranslationTest {
  private static StageSpec onlyStageNamed(JobGraph graph, String prefix) {
    List<StageSpec> stages =
        graph.stages().stream().filter(stage -> stage.id().startsWith(prefix)).toList();
    assertEquals(1, stages.size(), prefix + " in " + graph.stages().stream().map(StageSpec::id).toList());
    return stages.get(0);
  }

  @Test
  void redistributeArbitrarilyAndReshuffleViaRandomKeyDealRoundRobin() {
    // Translated only, never run: any runner class will do.
    Pipeline p =
        Pipeline.create(
            PipelineOptionsFactory.fromArgs("--runner=" + CrashingRunner.class.getName()).create());
    PCollection<Integer> numbers = p.apply(Create.of(1, 2, 3));
    numbers.apply("Arbitrarily", Redistribute.arbitrarily());
    numbers.apply("ViaRandomKey", Reshuffle.viaRandomKey());
    JobGraph graph = PipelineTranslator.translate(p, 2).graph();

    for (String name : List.of("Arbitrarily", "ViaRandomKey")) {
      StageSpec stage = onlyStageNamed(graph, name);
      assertEquals(1, stage.inputs().size());
      assertEquals(EdgeKind.REBALANCE, stage.inputs().get(0).kind(), name);
    }
    assertTrue(
        graph.stages().stream().noneMatch(stage -> stage.id().contains("random key")),
        "no stage of Beam's random-key expansion");
  }
}
