package dev.streamscope.conformance.bench;

import dev.streamscope.runner.StreamScopePipelineResult;
import java.util.List;
import java.util.Locale;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * What recovery costs and how fast it is, in one run (issue 5's benchmark), on the keyed pipeline
 * of {@link RunnerBenchmark} (N events, key = i % 1000, Sum per key; results checked).
 *
 * <ol>
 *   <li>Throughput per recovery strategy against no persistence and no snapshots ({@code
 *       --rstreamPersistence=memory-only --recoveryStrategy=recompute}). {@code persistent}
 *       persists every event synchronously, so it runs on 1/50 of the events.
 *   <li>Kill-to-caught-up time by checkpoint interval (hybrid), on {@link #windowedGroupSum}: a
 *       vertex of the GroupByKey stage is killed half way through its input; caught up = its
 *       replacement consumed as much input as it had.
 * </ol>
 *
 * Usage: {@code RecoveryBenchmark [events]}; run with {@code ./mvnw -q -pl conformance
 * test-compile exec:exec -Dbench.main=dev.streamscope.conformance.bench.RecoveryBenchmark}
 * (events: {@code -Dbench.events}, 10M by default; {@code -Dbench.skipKills=true} skips part 2).
 * Each throughput is the fastest of three runs.
 */
public final class RecoveryBenchmark {
  private RecoveryBenchmark() {}

  /** The fastest of three runs: the machine's noise only ever slows a run down. */
  private static double runSeconds(long events, String... args) {
    double best = Double.MAX_VALUE;
    for (int run = 0; run < 3; run++) {
      best = Math.min(best, runOnce(events, args));
    }
    return best;
  }

  private static double runOnce(long events, String... args) {
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
    for (String strategy : List.of("recompute", "checkpoint-replay", "hybrid", "persistent")) {
      long n = strategy.equals("persistent") ? events / 50 : events;
      double seconds = runSeconds(n, "--runner=StreamScope", "--recoveryStrategy=" + strategy);
      System.out.printf(Locale.ROOT, "%-34s %10.2f %,14.0f %8.2f%n", strategy, seconds, n / seconds,
          (n / seconds) / (events / baseline));
    }
    if (Boolean.getBoolean("bench.skipKills")) {
      return;
    }
    Pipeline plain = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=StreamScope", "--parallelism=2").create());
    windowedGroupSum(plain, events);
    long start = System.nanoTime();
    PipelineResult plainResult = plain.run();
    plainResult.waitUntilFinish();
    RunnerBenchmark.checkTotal(plainResult, events * (events - 1) / 2);
    System.out.printf(Locale.ROOT, "%nwindowed GroupByKey job without a kill: %.2f s%n", (System.nanoTime() - start) / 1e9);
    System.out.printf(Locale.ROOT, "%-24s %14s %14s %10s%n", "checkpointIntervalMs", "kill->caught up ms",
        "restored from", "intervals");
    for (long intervalMs : new long[] {100, 250, 500, 1000}) {
      killAndCatchUp(events, intervalMs);
    }
  }

  /**
   * The kill target: events at event time i ms, key i % 1000, 1 s fixed windows, GroupByKey then a
   * sum per key and window. Without combiner lifting the grouping vertex consumes every element as
   * it comes (a lifted combine would hold its partial sums in the source stage until the end).
   */
  static void windowedGroupSum(Pipeline p, long events) {
    windowedGroupSum(p, events, Window.into(FixedWindows.of(Duration.standardSeconds(1))));
  }

  /** {@link #windowedGroupSum} with the windowing given by {@code window}. */
  static void windowedGroupSum(Pipeline p, long events, Window<KV<Long, Long>> window) {
    p.apply(GenerateSequence.from(0).to(events).withTimestampFn(i -> new Instant(i)))
        .apply(
            MapElements.into(TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.longs()))
                .via(i -> KV.of(i % 1000, i)))
        .apply(window)
        .apply("Group", GroupByKey.create())
        .apply(
            MapElements.into(TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.longs()))
                .via(
                    kv -> {
                      long sum = 0;
                      for (long v : kv.getValue()) {
                        sum += v;
                      }
                      return KV.of(kv.getKey(), sum);
                    }))
        .apply(ParDo.of(new RunnerBenchmark.SumValues()));
  }

  /**
   * Kills the first vertex of the Group stage once it consumed half of its share of the input;
   * times how long its replacement takes to consume as much input as it had.
   */
  private static void killAndCatchUp(long events, long intervalMs) throws Exception {
    Pipeline p =
        Pipeline.create(
            PipelineOptionsFactory.fromArgs(
                    "--runner=StreamScope", "--parallelism=2", "--checkpointIntervalMs=" + intervalMs)
                .create());
    windowedGroupSum(p, events);
    StreamScopePipelineResult result = (StreamScopePipelineResult) p.run();
    String victim =
        result.vertexIds().stream()
            .filter(id -> id.startsWith("Group"))
            .findFirst()
            .orElseThrow(() -> new IllegalStateException("No Group stage among " + result.vertexIds()));
    long killAt = events / 2 / 2;
    while (result.consumedEvents(victim) < killAt) {
      Thread.onSpinWait();
    }
    long consumed = result.consumedEvents(victim);
    long killedAt = System.nanoTime();
    result.killVertex(victim);
    while (result.restarts() == 0 || result.consumedEvents(victim) < consumed) {
      Thread.onSpinWait();
    }
    double caughtUpMs = (System.nanoTime() - killedAt) / 1e6;
    long restored = result.restoredSnapshotVersion(victim);
    result.waitUntilFinish();
    RunnerBenchmark.checkTotal(result, events * (events - 1) / 2);
    System.out.printf(Locale.ROOT, "%-24d %14.1f %14s %10.2f%n", intervalMs, caughtUpMs,
        restored > 0 ? "snapshot " + restored : "scratch", caughtUpMs / intervalMs);
  }
}
