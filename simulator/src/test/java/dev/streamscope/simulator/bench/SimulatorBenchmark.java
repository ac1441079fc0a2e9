package dev.streamscope.simulator.bench;

import dev.streamscope.simulator.SimulationReport;
import dev.streamscope.simulator.SimulationResult;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;

/**
 * Speed of the simulator: a 10-vertex streaming job (a trickling source on 5 partitions, then 1 s
 * windowed counts per element on 5) simulated over many seeds with every fault; prints simulated
 * time against wall time and seeds per hour, per round and the best round. Usage: {@code
 * SimulatorBenchmark [seeds] [elements] [rounds] [first seed]}; see the README for the command.
 *
 * <p>The trace digest folds every seed's trace hash: a change that must not alter what the
 * simulation does (a speed-up) must leave it as it was.
 */
public final class SimulatorBenchmark {
  /** CPU time is steadier than wall time on a loaded machine: the simulation runs on one thread. */
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private SimulatorBenchmark() {}

  public static void main(String[] args) {
    int seeds = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    long elements = args.length > 1 ? Long.parseLong(args[1]) : 2_000;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 1;
    // A seed's faults follow from the seed alone: "1 2000 1 S" reruns seed S as a longer run had it.
    long firstSeed = args.length > 3 ? Long.parseLong(args[3]) : 1;
    // Injected faults make the product warn of every failed snapshot write it retries: thousands.
    System.setProperty("org.slf4j.simpleLogger.log.dev.streamscope", "error");
    System.out.printf(Locale.ROOT, "seeds=%d elements=%d vertices=10 rounds=%d%n", seeds, elements, rounds);
    double bestSpeedUp = 0;
    double bestSeedsPerHour = 0;
    for (int round = 1; round <= rounds; round++) {
      Pipeline p =
          Pipeline.create(
              PipelineOptionsFactory.fromArgs(
                      "--runner=StreamScopeSimulation", "--streaming=true", "--parallelism=5",
                      "--faults=all", "--seeds=" + seeds, "--firstSeed=" + firstSeed,
                      "--maxBundleSize=50")
                  .create());
      p.apply(Read.from(new TrickleSource(0, elements, 1)))
          .apply(Window.into(FixedWindows.of(Duration.standardSeconds(1))))
          .apply(MapElements.into(TypeDescriptors.longs()).via((Long i) -> i % 5))
          .apply(Count.perElement());
      PrintStream stdout = System.out;
      System.setOut(new PrintStream(new ByteArrayOutputStream())); // The per-seed table is long.
      long start = System.nanoTime();
      long cpuStart = THREADS.getCurrentThreadCpuTime();
      SimulationResult result;
      try {
        result = (SimulationResult) p.run();
      } finally {
        System.setOut(stdout);
      }
      double wallSeconds = (System.nanoTime() - start) / 1e9;
      double cpuSeconds = (THREADS.getCurrentThreadCpuTime() - cpuStart) / 1e9;
      SimulationReport report = result.report();
      long virtualMillis = 0;
      long wallMillis = 0;
      long tasks = 0;
      long traceDigest = 0xcbf29ce484222325L;
      for (SimulationReport.SeedOutcome outcome : report.outcomes()) {
        virtualMillis += outcome.run().virtualMillis();
        wallMillis += outcome.run().wallMillis();
        tasks += outcome.run().tasks();
        traceDigest = (traceDigest ^ outcome.run().traceHash()) * 0x100000001b3L;
      }
      double speedUp = (double) virtualMillis / Math.max(1, wallMillis);
      double seedsPerHour = seeds * 3600 / wallSeconds;
      bestSpeedUp = Math.max(bestSpeedUp, speedUp);
      bestSeedsPerHour = Math.max(bestSeedsPerHour, seedsPerHour);
      System.out.printf(Locale.ROOT, "round %d%n", round);
      System.out.printf(Locale.ROOT, "  simulated time per seed  %10.1f s%n", virtualMillis / 1e3 / seeds);
      System.out.printf(Locale.ROOT, "  wall time per seed       %10.3f s%n", wallMillis / 1e3 / seeds);
      System.out.printf(Locale.ROOT, "  tasks per seed           %10d (%.1f µs of wall time each; snapshots written %d)%n",
          tasks / seeds, wallMillis * 1e3 / Math.max(1, tasks), report.probeTotals().getOrDefault("snapshot written", 0L) / seeds);
      System.out.printf(Locale.ROOT, "  speed-up over real time  %10.0fx%n", speedUp);
      System.out.printf(Locale.ROOT, "  seeds per hour           %10.0f (whole run %.1f s, reference and replay included)%n",
          seedsPerHour, wallSeconds);
      System.out.printf(Locale.ROOT, "  simulated time per CPU time %7.0fx (the simulation's thread; the whole run)%n",
          virtualMillis / 1e3 / cpuSeconds);
      System.out.printf(Locale.ROOT, "  trace digest             %016x%n", traceDigest);
      System.out.println("  " + report.summary());
      for (SimulationReport.SeedOutcome outcome : report.outcomes()) {
        if (!outcome.passed()) {
          System.out.printf(Locale.ROOT, "  seed %d failed (faults %s): %s%n",
              outcome.run().seed(), outcome.faults(), outcome.violations());
        }
      }
    }
    if (rounds > 1) {
      System.out.printf(Locale.ROOT, "best of %d rounds: %.0fx real time, %.0f seeds per hour%n",
          rounds, bestSpeedUp, bestSeedsPerHour);
    }
  }
}
