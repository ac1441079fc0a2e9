package dev.streamscope.simulator;

import dev.streamscope.runner.StreamScopeRunner;
import dev.streamscope.simulator.checkers.Checker;
import dev.streamscope.simulator.checkers.DeterminismChecker;
import dev.streamscope.simulator.checkers.ExactlyOnceChecker;
import dev.streamscope.simulator.checkers.LivenessChecker;
import dev.streamscope.simulator.checkers.StreamOrderChecker;
import dev.streamscope.simulator.checkers.WatermarkChecker;
import dev.streamscope.translation.PipelineTranslator;
import dev.streamscope.translation.TranslatedJob;
import dev.streamscope.vertex.VertexConfig;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineRunner;
import org.apache.beam.sdk.metrics.MetricsEnvironment;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsValidator;

/**
 * {@code --runner=StreamScopeSimulation}: runs the user's pipeline, unchanged, on StreamScope's
 * own vertex host in a deterministic simulation: first once without faults (the reference run),
 * then once per seed with seeded faults at the seams; checkers compare every seed's run with the
 * reference. Prints a table of seeds and, for a failing seed, the checker that failed and how to
 * replay it. The result fails if any seed failed.
 *
 * <p>User code runs once per simulated run, so side effects of the pipeline's DoFns (files a sink
 * writes) happen once per seed too.
 */
public final class StreamScopeSimulationRunner extends PipelineRunner<SimulationResult> {
  private static final List<Checker> CHECKERS =
      List.of(new LivenessChecker(), new ExactlyOnceChecker(), new StreamOrderChecker(), new WatermarkChecker());

  private final StreamScopeSimulationOptions options;
  private final PrintStream out;

  private StreamScopeSimulationRunner(StreamScopeSimulationOptions options, PrintStream out) {
    this.options = options;
    this.out = out;
  }

  public static StreamScopeSimulationRunner fromOptions(PipelineOptions options) {
    StreamScopeSimulationOptions simulationOptions =
        PipelineOptionsValidator.validate(StreamScopeSimulationOptions.class, options);
    StreamScopeRunner.fromOptions(options); // The runner's own option checks.
    Faults.parse(simulationOptions.getFaults());
    StreamScopeRunner.requireAtLeastOne("seeds", simulationOptions.getSeeds());
    StreamScopeRunner.requireAtLeastOne("simulationTimeLimitMs", simulationOptions.getSimulationTimeLimitMs());
    return new StreamScopeSimulationRunner(simulationOptions, System.out);
  }

  @Override
  public SimulationResult run(Pipeline pipeline) {
    MetricsEnvironment.setMetricsSupported(true);
    Set<Faults> requested = Faults.parse(options.getFaults());
    VertexConfig config = StreamScopeRunner.vertexConfig(options);
    long limitMs = options.getSimulationTimeLimitMs();

    TranslatedJob referenceJob = PipelineTranslator.translate(pipeline, options.getParallelism());
    RunRecord reference =
        Simulation.run(referenceJob.graph(), 0, EnumSet.noneOf(Faults.class), config, limitMs, 0);
    long crashWindowTasks = Math.max(1, reference.tasks());

    List<Long> seeds = new ArrayList<>();
    if (options.getSeed() != null) {
      seeds.add(options.getSeed());
    } else {
      for (int i = 0; i < options.getSeeds(); i++) {
        seeds.add(options.getFirstSeed() + i);
      }
    }
    SimulationReport report = new SimulationReport();
    Progress progress = new Progress(seeds.size());
    for (int i = 0; i < seeds.size(); i++) {
      long seed = seeds.get(i);
      // A replay (--seed) injects exactly the faults it names: the subset a failing seed printed.
      Set<Faults> faults = options.getSeed() != null ? requested : faultsFor(seed, requested);
      RunRecord run = runSeed(pipeline, seed, faults, config, limitMs, crashWindowTasks);
      List<String> violations = new ArrayList<>();
      if (reference.failure() != null || !reference.finished()) {
        violations.add("reference: the failure-free run did not finish: " + reference.failure());
      }
      violations.addAll(
          SimulationReport.check(CHECKERS, comparable(reference), comparable(run)));
      if (i == 0) {
        RunRecord replay = runSeed(pipeline, seed, faults, config, limitMs, crashWindowTasks);
        new DeterminismChecker().check(comparable(run), comparable(replay)).ifPresent(p -> violations.add("determinism: " + p));
      }
      report.add(new SimulationReport.SeedOutcome(run, faults, violations));
      progress.advance();
    }
    progress.done();
    report.print(out);
    return new SimulationResult(report, referenceJob.mergedMetrics());
  }

  /**
   * {@code run} without the streams of steps declared nondeterministic: those may differ from
   * the reference by design. Gaps and watermark order are still checked on them, via {@code run}.
   */
  private RunRecord comparable(RunRecord run) {
    List<String> prefixes = new ArrayList<>();
    for (String prefix : options.getNondeterministicSteps().split(",")) {
      if (!prefix.isBlank()) {
        prefixes.add(prefix.trim());
      }
    }
    if (prefixes.isEmpty()) {
      return run;
    }
    java.util.Map<String, StreamLog> kept = new java.util.TreeMap<>();
    run.streams().forEach((id, log) -> {
      if (prefixes.stream().noneMatch(id::startsWith)) {
        kept.put(id, log);
      }
    });
    return new RunRecord(run.seed(), run.finished(), run.failure(), run.virtualMillis(),
        run.wallMillis(), run.tasks(), run.restarts(), run.traceHash(), kept);
  }

  private RunRecord runSeed(
      Pipeline pipeline,
      long seed,
      Set<Faults> faults,
      VertexConfig config,
      long limitMs,
      long crashWindowTasks) {
    TranslatedJob job = PipelineTranslator.translate(pipeline, options.getParallelism());
    return Simulation.run(job.graph(), seed, faults, config, limitMs, crashWindowTasks);
  }

  /** Each requested fault is on with probability 1/2 per seed (at least one is on). */
  static Set<Faults> faultsFor(long seed, Set<Faults> requested) {
    Set<Faults> chosen = EnumSet.noneOf(Faults.class);
    if (requested.isEmpty()) {
      return chosen;
    }
    SplittableRandom random = new SplittableRandom(seed ^ 0x5deece66dL);
    for (Faults fault : requested) {
      if (random.nextBoolean()) {
        chosen.add(fault);
      }
    }
    if (chosen.isEmpty()) {
      chosen.add(new ArrayList<>(requested).get(random.nextInt(requested.size())));
    }
    return chosen;
  }

  /** A progress bar on a terminal; silent otherwise. */
  private static final class Progress {
    private final int total;
    private final boolean terminal = System.console() != null;
    private int done;

    Progress(int total) {
      this.total = total;
    }

    void advance() {
      done++;
      if (terminal) {
        int width = 30;
        int filled = done * width / total;
        System.err.print("\r[" + "#".repeat(filled) + ".".repeat(width - filled) + "] " + done + "/" + total);
      }
    }

    void done() {
      if (terminal) {
        System.err.println();
      }
    }
  }

  @Override
  public String toString() {
    return "StreamScopeSimulationRunner";
  }
}
