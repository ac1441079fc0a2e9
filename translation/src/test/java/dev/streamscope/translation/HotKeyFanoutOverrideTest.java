package dev.streamscope.translation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.testing.CrashingRunner;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.values.KV;
import org.junit.jupiter.api.Test;

/** Hot-key fanout runs as a plain Combine.perKey: no random nonce a replay would redraw. */
class HotKeyFanoutOverrideTest {
  @Test
  void fanoutCombinesAreTranslatedWithoutTheirRandomNonceStep() {
    // Translated only, never run: any runner class will do.
    Pipeline p =
        Pipeline.create(
            PipelineOptionsFactory.fromArgs("--runner=" + CrashingRunner.class.getName()).create());
    p.apply("Pairs", Create.of(KV.of("a", 1), KV.of("a", 2), KV.of("b", 3)))
        .apply("PerKey", Combine.<String, Integer, Integer>perKey(Sum.ofIntegers()).withHotKeyFanout(3));
    p.apply("Numbers", Create.of(1, 2, 3)).apply("Globally", Combine.globally(Sum.ofIntegers()).withFanout(2));
    PipelineTranslator.translate(p, 2);

    List<String> fanouts = new ArrayList<>();
    List<String> combines = new ArrayList<>();
    p.traverseTopologically(
        new Pipeline.PipelineVisitor.Defaults() {
          @Override
          public CompositeBehavior enterCompositeTransform(TransformHierarchy.Node node) {
            if (node.getTransform() instanceof Combine.PerKeyWithHotKeyFanout
                || node.getFullName().endsWith("AddNonce")) {
              fanouts.add(node.getFullName());
            }
            if (node.getTransform() instanceof Combine.PerKey) {
              combines.add(node.getFullName());
            }
            return CompositeBehavior.ENTER_TRANSFORM;
          }
        });
    assertEquals(List.of(), fanouts);
    assertTrue(combines.contains("PerKey"), combines.toString());
    assertTrue(combines.stream().anyMatch(name -> name.startsWith("Globally/")), combines.toString());
  }
}
