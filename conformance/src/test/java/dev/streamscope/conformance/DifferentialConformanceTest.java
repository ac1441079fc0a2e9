package dev.streamscope.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs every {@link Scenarios scenario} on Beam's DirectRunner and on StreamScope, in batch and in
 * streaming mode, and asserts that the outputs are equal.
 */
class DifferentialConformanceTest {

  static Stream<Scenario> scenarios() {
    return Scenarios.all().stream();
  }

  @ParameterizedTest(name = "batch: {0}")
  @MethodSource("scenarios")
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void batch(Scenario scenario) {
    DifferentialHarness.assertSameOutput(scenario, false);
  }

  /**
   * The same scenarios with {@code --streaming=true} on StreamScope: with bounded inputs and
   * watermark-driven (or summarised data-driven) triggers the results must not change.
   */
  @ParameterizedTest(name = "streaming: {0}")
  @MethodSource("scenarios")
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void streaming(Scenario scenario) {
    assumeTrue(
        scenario.streamingSkipReason() == null,
        () -> scenario.name() + " is batch-only: " + scenario.streamingSkipReason());
    DifferentialHarness.assertSameOutput(scenario, true);
  }

  @Test
  void catalogueHasUniqueNamesAndEnoughScenarios() {
    List<Scenario> all = Scenarios.all();
    Set<String> names = new HashSet<>();
    for (Scenario s : all) {
      assertTrue(names.add(s.name()), "duplicate scenario name " + s.name());
    }
    assertTrue(all.size() >= 16, "only " + all.size() + " scenarios");
    assertEquals(1, all.stream().filter(Scenario::expectEmpty).count());
  }
}
