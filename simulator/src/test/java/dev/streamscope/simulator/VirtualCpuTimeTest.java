package dev.streamscope.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.WithTimestamps;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

/** Tasks cost seeded virtual CPU time, so a run's clock moves without any fault that delays. */
class VirtualCpuTimeTest {
  private static final int TASKS = 1_000;

  /** Runs {@link #TASKS} tasks that each schedule the next one for now; returns the loop. */
  private static SimulationLoop runChain(long seed) {
    SimulationLoop loop = new SimulationLoop(seed);
    Runnable[] next = new Runnable[1];
    next[0] = () -> loop.at(loop.nowMillis(), "task", next[0]);
    loop.at(0, "task", next[0]);
    loop.runUntil(() -> loop.executedTasks() == TASKS, Long.MAX_VALUE / 1_000);
    return loop;
  }

  @Test
  void everyTaskCostsSeededCpuTime() {
    SimulationLoop loop = runChain(7);
    assertTrue(
        loop.nowMicros() >= TASKS * SimulationLoop.TASK_CPU_MICROS_MIN
            && loop.nowMicros() < TASKS * SimulationLoop.TASK_CPU_MICROS_MAX,
        "virtual time after " + TASKS + " tasks: " + loop.nowMicros() + " µs");
    assertEquals(loop.nowMicros() / 1_000, loop.nowMillis());
    SimulationLoop again = runChain(7);
    assertEquals(loop.nowMicros(), again.nowMicros());
    assertEquals(loop.traceHash(), again.traceHash());
    assertNotEquals(loop.nowMicros(), runChain(8).nowMicros());
  }

  @Test
  void aTaskDueWhileAnotherRanStartsWhenItIsDone() {
    SimulationLoop loop = new SimulationLoop(1);
    long[] secondStartedMicros = new long[1];
    long[] firstEndedMicros = new long[1];
    loop.at(0, "first", () -> {});
    loop.at(0, "second", () -> secondStartedMicros[0] = loop.nowMicros());
    loop.afterTasks(1, "between", () -> firstEndedMicros[0] = loop.nowMicros());
    loop.runUntil(() -> loop.executedTasks() == 3, 1_000);
    assertTrue(firstEndedMicros[0] >= SimulationLoop.TASK_CPU_MICROS_MIN, "first ended at " + firstEndedMicros[0]);
    assertTrue(secondStartedMicros[0] > firstEndedMicros[0], secondStartedMicros[0] + " <= " + firstEndedMicros[0]);
  }

  /**
   * With crashes alone (no fault that delays), vertices snapshot, and crashed ones restart from
   * their snapshots: before tasks cost time such a run happened at virtual time 0, and every
   * restart was from scratch.
   */
  @Test
  void crashesAloneRestartVerticesFromSnapshots() {
    int seeds = 8;
    Pipeline p =
        Pipeline.create(
            PipelineOptionsFactory.fromArgs(
                    "--runner=StreamScopeSimulation", "--parallelism=3", "--faults=vertex-crash",
                    "--seeds=" + seeds, "--maxBundleSize=20", "--recoveryStrategy=hybrid",
                    "--rstreamPersistence=hybrid")
                .create());
    p.apply(GenerateSequence.from(0).to(10_000))
        .apply(WithTimestamps.of((Long i) -> new Instant(i)))
        .apply(
            MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.longs()))
                .via((Long i) -> KV.of("k" + (i % 7), i)))
        .apply(Window.into(FixedWindows.of(Duration.standardSeconds(2))))
        .apply(Count.perKey());
    SimulationResult result = (SimulationResult) p.run();
    assertEquals(seeds + " passed, 0 failed", result.report().summary());
    Map<String, Long> struck = result.report().probeTotals();
    assertTrue(struck.getOrDefault("snapshot found at a start", 0L) > 0, "no restart from a snapshot: " + struck);
  }
}
