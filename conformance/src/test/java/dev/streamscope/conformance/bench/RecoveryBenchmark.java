package dev.streamscope.conformance.bench;

import dev.streamscope.runner.StreamScopePipelineResult;
import java.util.List;
import java.util.Locale;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * What recovery costs and how fast it is, in one run (issue 5's benchmark), on the keyed pipeline
 * of {@link RunnerBenchmark} (N events, key = i % 1000, Sum per key; results checked).
 *
 * <ol>
 *   <li>Throughput per recovery strategy against no persistence and no snapshots ({@code
 *       --rstreamPersistence=memory-only --recoveryStrategy=recompute}). {@code persistent}
 *       persists every event synchronously, so it runs on 1/50 of the events.
 *   <li>Kill-to-caught-up time by checkpoint interval (hybrid): a vertex of the Sum stage is killed
 *       about half way through the job; caught up = its replacement consumed as much input as it
 *       had.
 * </ol>
 *
 * Usage: {@code RecoveryBenchmark [events]}; run with {@code ./mvnw -q -pl conformance
 * test-compile exec:exec -Dbench.main=dev.streamscope.conformance.bench.RecoveryBenchmark}
 * (events: {@code -Dbench.events}, 10M by default).
 */
public final class RecoveryBenchmark {
  private RecoveryBenchmark() {}

  private static double runSeconds(long events, String... args) {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs(args).create());
    RunnerBenchmark.keyed(p, events);
    long start = System.nanoTime();
    PipelineResult result = p.run();
    result.waitUntilFinish();
    double seconds = (System.nanoTime() - start) / 1e9;
    RunnerBenchmark.checkKeyed(result, events);
    return seconds;
  }

  public static void main(String[] argv) throws Exception {
    long events = argv.length > 0 ? Long.parseLong(argv[0]) : 5_000_000L;
    System.out.printf(Locale.ROOT, "events=%,d cores=%d heap=%dm%n", events,
        Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);
    runSeconds(events / 10, "--runner=StreamScope"); // Warm-up.
    double baseline =
        runSeconds(events, "--runner=StreamScope", "--rstreamPersistence=memory-only", "--recoveryStrategy=recompute");
    System.out.printf(Locale.ROOT, "%-34s %10s %14s %8s%n", "strategy", "seconds", "events/s", "ratio");
    System.out.printf(Locale.ROOT, "%-34s %10.2f %,14.0f %8s%n", "none (memory-only, no snapshots)",
        baseline, events / baseline, "1.00");
    double hybridSeconds = 0;
    for (String strategy : List.of("recompute", "checkpoint-replay", "hybrid", "persistent")) {
      long n = strategy.equals("persistent") ? events / 50 : events;
      double seconds = runSeconds(n, "--runner=StreamScope", "--recoveryStrategy=" + strategy);
      if (strategy.equals("hybrid")) {
        hybridSeconds = seconds;
      }
      System.out.printf(Locale.ROOT, "%-34s %10.2f %,14.0f %8.2f%n", strategy, seconds, n / seconds,
          (n / seconds) / (events / baseline));
    }
    System.out.printf(Locale.ROOT, "%n%-24s %14s %14s %10s%n", "checkpointIntervalMs", "kill->caught up ms",
        "restored from", "intervals");
    for (long intervalMs : new long[] {100, 250, 500, 1000}) {
      killAndCatchUp(events, intervalMs, (long) (hybridSeconds * 1000 / 2));
    }
  }

  /**
   * Kills the first vertex of the Sum stage {@code killAfterMs} into the job (about half way);
   * times how long its replacement takes to consume as much input as it had.
   */
  private static void killAndCatchUp(long events, long intervalMs, long killAfterMs) throws Exception {
    Pipeline p =
        Pipeline.create(
            PipelineOptionsFactory.fromArgs(
                    "--runner=StreamScope", "--parallelism=2", "--checkpointIntervalMs=" + intervalMs)
                .create());
    RunnerBenchmark.keyed(p, events);
    StreamScopePipelineResult result = (StreamScopePipelineResult) p.run();
    String victim =
        result.vertexIds().stream()
            .filter(id -> id.startsWith("Combine.perKey"))
            .findFirst()
            .orElseThrow(() -> new IllegalStateException("No Sum stage among " + result.vertexIds()));
    Thread.sleep(killAfterMs); // Benchmark code: the kill lands about half way through the job.
    long consumed = result.consumedEvents(victim);
    long killedAt = System.nanoTime();
    result.killVertex(victim);
    while (result.restarts() == 0 || result.consumedEvents(victim) < consumed) {
      Thread.onSpinWait();
    }
    double caughtUpMs = (System.nanoTime() - killedAt) / 1e6;
    long restored = result.restoredSnapshotVersion(victim);
    result.waitUntilFinish();
    RunnerBenchmark.checkKeyed(result, events);
    System.out.printf(Locale.ROOT, "%-24d %14.1f %14s %10.2f%n", intervalMs, caughtUpMs,
        restored > 0 ? "snapshot " + restored : "scratch", caughtUpMs / intervalMs);
    System.out.println("  (victim " + victim + ", killed after consuming " + consumed + " events)");
  }
}
