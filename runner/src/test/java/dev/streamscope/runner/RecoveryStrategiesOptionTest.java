package dev.streamscope.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamscope.vertex.RecoveryStrategy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --recoveryStrategies}: per-step strategies, how fused stages combine them, bad values. */
class RecoveryStrategiesOptionTest {
  @TempDir Path temp;

  private static final Map<String, List<String>> STAGES =
      Map.of(
          "Read", List.of("Read/Impulse", "Read/ParDo(Split)", "Parse"),
          "Count", List.of("Count/Combine.perKey/GroupByKey", "Count/Combine.perKey/Merge", "Format"));

  @Test
  void aStepNameCoversItsInnerStepsAndAStageTakesTheMostProtectiveStrategy() {
    RecoveryStrategies strategies =
        RecoveryStrategies.of(
            RecoveryStrategy.RECOMPUTE,
            RecoveryStrategies.parse("Count=checkpoint-replay,Format=persistent"),
            STAGES);
    assertEquals(RecoveryStrategy.RECOMPUTE, strategies.ofStage("Read"));
    assertEquals(RecoveryStrategy.PERSISTENT, strategies.ofStage("Count"));
    assertEquals(
        RecoveryStrategy.HYBRID,
        RecoveryStrategies.of(RecoveryStrategy.HYBRID, Map.of(), STAGES).ofStage("Count"));
  }

  @Test
  void badEntriesAreRefusedNamingThem() {
    IllegalArgumentException unknownStep =
        assertThrows(
            IllegalArgumentException.class,
            () -> RecoveryStrategies.of(RecoveryStrategy.HYBRID, RecoveryStrategies.parse("Cont=recompute"), STAGES));
    assertTrue(unknownStep.getMessage().contains("no step named Cont"), unknownStep.getMessage());
    assertTrue(unknownStep.getMessage().contains("Count/Combine.perKey/Merge"), unknownStep.getMessage());
    IllegalArgumentException badStrategy =
        assertThrows(IllegalArgumentException.class, () -> RecoveryStrategies.parse("Count=sometimes"));
    assertTrue(badStrategy.getMessage().contains("--recoveryStrategies=Count=sometimes"), badStrategy.getMessage());
    assertTrue(badStrategy.getMessage().contains("sometimes"), badStrategy.getMessage());
    assertThrows(IllegalArgumentException.class, () -> RecoveryStrategies.parse("Count"));
  }

  /**
   * Memory-only streams except one step made persistent: only that step's output streams are
   * written (synchronously) to the job directory, and the job's result is right.
   */
  @Test
  void onePersistentStepPersistsOnlyItsOwnOutputs() throws Exception {
    Path root = temp.resolve("root");
    Pipeline p =
        Pipeline.create(
            PipelineOptionsFactory.fromArgs(
                    "--runner=StreamScope",
                    "--parallelism=2",
                    "--rstreamRoot=" + root.toUri(),
                    "--jobId=one-persistent",
                    "--keepRstreams",
                    "--rstreamPersistence=memory-only",
                    "--recoveryStrategies=Keys=persistent")
                .create());
    p.apply("Numbers", GenerateSequence.from(0).to(10_000))
        .apply(
            "Keys",
            MapElements.into(TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.longs()))
                .via((Long i) -> KV.of(i % 10, i)))
        .apply("Sum", Sum.longsPerKey())
        .apply("Regroup", org.apache.beam.sdk.transforms.Reshuffle.of()); // Sum's stage has outputs too.
    PipelineResult result = p.run();
    assertEquals(PipelineResult.State.DONE, result.waitUntilFinish());
    List<String> streamDirs;
    try (Stream<Path> dirs = Files.list(root.resolve("one-persistent"))) {
      streamDirs = dirs.map(d -> d.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().toList();
    }
    assertEquals(4, streamDirs.size(), "2 x 2 streams out of the fused Numbers+Keys stage: " + streamDirs);
    for (String dir : streamDirs) {
      assertTrue(dir.startsWith("Numbers"), "only the persistent stage's outputs: " + dir);
    }
  }
}
