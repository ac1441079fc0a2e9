package dev.streamscope.simulator.bench;

import dev.streamscope.simulator.SimulationReport;
import dev.streamscope.simulator.SimulationResult;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
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
 * time against wall time and seeds per hour. Usage: {@code
 * SimulatorBenchmark [seeds] [elements]}; see the README for the command.
 */
public final class SimulatorBenchmark {
  private SimulatorBenchmark() {}

  public static void main(String[] args) {
    int seeds = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    long elements = args.length > 1 ? Long.parseLong(args[1]) : 2_000;
    Pipeline p =
        Pipeline.create(
            PipelineOptionsFactory.fromArgs(
                    "--runner=StreamScopeSimulation", "--streaming=true", "--parallelism=5",
                    "--faults=all", "--seeds=" + seeds, "--maxBundleSize=50")
                .create());
    p.apply(Read.from(new TrickleSource(0, elements, 1)))
        .apply(Window.into(FixedWindows.of(Duration.standardSeconds(1))))
        .apply(MapElements.into(TypeDescriptors.longs()).via((Long i) -> i % 5))
        .apply(Count.perElement());
    PrintStream stdout = System.out;
    System.setOut(new PrintStream(new ByteArrayOutputStream())); // The per-seed table is long.
    long start = System.nanoTime();
    SimulationResult result;
    try {
      result = (SimulationResult) p.run();
    } finally {
      System.setOut(stdout);
    }
    double wallSeconds = (System.nanoTime() - start) / 1e9;
    SimulationReport report = result.report();
    long virtualMillis = 0;
    long wallMillis = 0;
    for (SimulationReport.SeedOutcome outcome : report.outcomes()) {
      virtualMillis += outcome.run().virtualMillis();
      wallMillis += outcome.run().wallMillis();
    }
    System.out.printf(Locale.ROOT, "seeds=%d elements=%d vertices=10%n", seeds, elements);
    System.out.printf(Locale.ROOT, "simulated time per seed  %10.1f s%n", virtualMillis / 1e3 / seeds);
    System.out.printf(Locale.ROOT, "wall time per seed       %10.3f s%n", wallMillis / 1e3 / seeds);
    System.out.printf(Locale.ROOT, "speed-up over real time  %10.0fx%n", (double) virtualMillis / Math.max(1, wallMillis));
    System.out.printf(Locale.ROOT, "seeds per hour           %10.0f (whole run %.1f s, reference and replay included)%n",
        seeds * 3600 / wallSeconds, wallSeconds);
    System.out.println(report.summary());
  }
}
