package dev.streamscope.simulator;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamscope.rstream.persist.PersistenceStrategy;
import dev.streamscope.rstream.persist.RStreamOptions;
import dev.streamscope.rstream.segment.FlushMode;
import dev.streamscope.runner.StreamScopePipelineOptions;
import dev.streamscope.runner.StreamScopeRunner;
import dev.streamscope.simulator.checkers.Checker;
import dev.streamscope.simulator.checkers.DeterminismChecker;
import dev.streamscope.simulator.checkers.DurabilityChecker;
import dev.streamscope.simulator.checkers.ExactlyOnceChecker;
import dev.streamscope.simulator.checkers.LivenessChecker;
import dev.streamscope.simulator.checkers.OutputFilesChecker;
import dev.streamscope.simulator.checkers.StreamOrderChecker;
import dev.streamscope.simulator.checkers.WatermarkChecker;
import dev.streamscope.translation.PipelineTranslator;
import dev.streamscope.translation.TranslatedJob;
import dev.streamscope.vertex.RecoveryStrategy;
import dev.streamscope.vertex.graph.JobGraph;
import dev.streamscope.vertex.graph.StageSpec;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineRunner;
import org.apache.beam.sdk.metrics.MetricsEnvironment;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.PipelineOptionsValidator;
import org.apache.beam.sdk.util.common.ReflectHelpers;

/**
 * {@code --runner=StreamScopeSimulation}: runs the user's pipeline, unchanged, on StreamScope's
 * own vertex host in a deterministic simulation: first once without faults (the reference run),
 * then once per seed with seeded faults at the seams; checkers compare every seed's run with the
 * reference. Prints a table of seeds and, for a failing seed, the checker that failed and how to
 * replay it. The result fails if any seed failed.
 *
 * <p>The pipeline's own files (what a TextIO or FileIO sink writes) go to a {@link
 * LocalFilesOverlay} per run, in memory; each seed's are compared with the reference run's, and
 * only the reference run's are written to the disk, once, at the end. Other side effects of user
 * code (calls to outside systems) happen once per run.
 */
public final class StreamScopeSimulationRunner extends PipelineRunner<SimulationResult> {
  private static final List<Checker> CHECKERS =
      List.of(
          new LivenessChecker(),
          new ExactlyOnceChecker(),
          new StreamOrderChecker(),
          new WatermarkChecker(),
          new DurabilityChecker(),
          new OutputFilesChecker());

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
    if (simulationOptions.getTraceFile() != null && simulationOptions.getSeed() == null) {
      throw new IllegalArgumentException(
          "Invalid option --traceFile=" + simulationOptions.getTraceFile()
              + ": a trace is written for one seed; give it with --seed");
    }
    return new StreamScopeSimulationRunner(simulationOptions, System.out);
  }

  @Override
  public SimulationResult run(Pipeline pipeline) {
    MetricsEnvironment.setMetricsSupported(true);
    try (OverlayFileSystem.Installation files = OverlayFileSystem.install(options)) {
      return simulate(pipeline);
    }
  }

  /** The reference run, then every seed; the reference run's files are written to the disk last. */
  private SimulationResult simulate(Pipeline pipeline) {
    Set<Faults> requested = Faults.parse(options.getFaults());
    TranslatedJob referenceJob = translate(pipeline);
    JobGraph graph = referenceJob.graph();
    Simulation.Settings referenceSettings =
        new Simulation.Settings(
            StreamScopeRunner.vertexConfig(options),
            streamOptions(options),
            StreamScopeRunner.strategyOfStage(options, referenceJob),
            options.getCheckpointIntervalMs(),
            options.getSimulationTimeLimitMs(),
            0);

    RunRecord reference =
        Simulation.run(referenceJob.graph(), 0, EnumSet.noneOf(Faults.class), referenceSettings);
    Simulation.Settings settings =
        new Simulation.Settings(
            referenceSettings.vertexConfig(),
            referenceSettings.streamOptions(),
            referenceSettings.strategyOfStage(),
            referenceSettings.checkpointIntervalMs(),
            referenceSettings.virtualMillisMax(),
            Math.max(1, reference.tasks()));

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
      RunRecord run =
          options.getTraceFile() != null
              ? runTraced(pipeline, seed, faults, settings, Path.of(options.getTraceFile()))
              : runSeed(pipeline, seed, faults, settings, null);
      List<String> violations = new ArrayList<>();
      if (reference.failure() != null || !reference.finished()) {
        violations.add("reference: the failure-free run did not finish: " + reference.failure());
      }
      violations.addAll(
          SimulationReport.check(CHECKERS, comparable(reference, graph), comparable(run, graph)));
      if (i == 0) {
        RunRecord replay = runSeed(pipeline, seed, faults, settings, null);
        new DeterminismChecker()
            .check(comparable(run, graph), comparable(replay, graph))
            .ifPresent(p -> violations.add("determinism: " + p));
      }
      report.add(new SimulationReport.SeedOutcome(run, faults, violations));
      progress.advance();
    }
    progress.done();
    if (reference.finished()) {
      try {
        reference.files().applyToDisk();
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot write the reference run's files: " + e.getMessage(), e);
      }
    }
    report.print(out, replayOptions(options));
    if (options.getTraceFile() != null) {
      out.println("trace of seed " + options.getSeed() + " written to " + options.getTraceFile());
    }
    return new SimulationResult(report, referenceJob.mergedMetrics());
  }

  /**
   * {@code run} without the streams written by nondeterministic stages (named with {@code
   * --nondeterministicSteps} or found by the translation, as WriteFiles' temporary-file writers)
   * and by the stages downstream of them: their values may differ from the reference run's by
   * design (random names flow on), and strong productions keep each run consistent with itself.
   * Gaps and watermark order are still checked on them, via {@code run}, and so are the files
   * the pipeline writes.
   */
  private static RunRecord comparable(RunRecord run, JobGraph graph) {
    Set<String> nondeterministic = new java.util.HashSet<>();
    for (StageSpec stage : graph.stages()) { // in topological order
      if (stage.nondeterministic()
          || stage.inputs().stream().anyMatch(input -> nondeterministic.contains(input.producerStage()))) {
        nondeterministic.add(stage.id());
      }
    }
    if (nondeterministic.isEmpty()) {
      return run;
    }
    Map<String, String> producers = graph.streamProducers();
    Map<String, StreamLog> kept = new TreeMap<>();
    run.streams().forEach((id, log) -> {
      String producer = producers.get(id);
      if (producer == null || !nondeterministic.contains(JobGraph.stageOf(producer))) {
        kept.put(id, log);
      }
    });
    return new RunRecord(run.seed(), run.finished(), run.stalled(), run.failure(), run.virtualMillis(),
        run.wallMillis(), run.tasks(), run.restarts(), run.traceHash(), kept, run.durabilityLosses(),
        run.probes(), run.files());
  }

  private RunRecord runSeed(
      Pipeline pipeline, long seed, Set<Faults> faults, Simulation.Settings settings, Consumer<String> trace) {
    return Simulation.run(translate(pipeline).graph(), seed, faults, settings, trace);
  }

  /** As the runner translates: steps named nondeterministic make strong productions here too. */
  private TranslatedJob translate(Pipeline pipeline) {
    return PipelineTranslator.translate(
        pipeline, options.getParallelism(), StreamScopeRunner.nondeterministicSteps(options));
  }

  /** Runs one seed, writing its trace (one line per task) to {@code file}. */
  private RunRecord runTraced(
      Pipeline pipeline, long seed, Set<Faults> faults, Simulation.Settings settings, Path file) {
    try (PrintWriter trace = new PrintWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8))) {
      trace.println("# streamscope simulation trace: seed " + seed + ", faults " + SimulationReport.faultList(faults));
      trace.println("# <virtual ms> <task number> <task>");
      return runSeed(pipeline, seed, faults, settings, trace::println);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write the trace file " + file + ": " + e.getMessage(), e);
    }
  }

  /** Options of this simulation that the printed replay command must repeat. */
  private static final Set<String> NOT_REPLAYED =
      Set.of("runner", "appName", "optionsId", "seeds", "firstSeed", "seed", "faults", "traceFile");

  /**
   * The options given to this simulation that differ from their defaults, as command-line
   * arguments, except those that choose seeds and faults (the replay command sets its own).
   */
  static String replayOptions(PipelineOptions options) {
    Map<String, Object> given;
    try {
      ObjectMapper mapper =
          new ObjectMapper().registerModules(ObjectMapper.findModules(ReflectHelpers.findClassLoader()));
      @SuppressWarnings("unchecked")
      Map<String, Object> json = mapper.convertValue(options, Map.class);
      @SuppressWarnings("unchecked")
      Map<String, Object> set = (Map<String, Object>) json.getOrDefault("options", Map.of());
      given = new TreeMap<>(set);
    } catch (IllegalArgumentException e) {
      given = Map.of(); // Options that do not serialize: the replay line names seed and faults only.
    }
    StreamScopeSimulationOptions defaults = PipelineOptionsFactory.as(StreamScopeSimulationOptions.class);
    StringJoiner args = new StringJoiner(" ");
    args.add("--runner=StreamScopeSimulation");
    given.forEach((name, value) -> {
      String text = text(value);
      if (!NOT_REPLAYED.contains(name) && !text.isEmpty() && !text.equals(text(defaultOf(defaults, name)))) {
        args.add("--" + name + "=" + text);
      }
    });
    return args.toString();
  }

  private static String text(Object value) {
    if (value instanceof List<?> list) {
      return String.join(",", list.stream().map(String::valueOf).toList());
    }
    return value == null ? "" : String.valueOf(value);
  }

  /** The default of option {@code name}, or null if it has no getter here. */
  private static Object defaultOf(StreamScopeSimulationOptions defaults, String name) {
    String property = Character.toUpperCase(name.charAt(0)) + name.substring(1);
    for (String getter : List.of("get" + property, "is" + property)) {
      try {
        return StreamScopeSimulationOptions.class.getMethod(getter).invoke(defaults);
      } catch (ReflectiveOperationException | RuntimeException notThisOne) {
        // Try the next spelling.
      }
    }
    return null;
  }

  /**
   * The rStream options a real run would use (its root directory aside: storage is simulated);
   * each stage's recovery strategy then decides its streams' persistence where it implies one.
   */
  static RStreamOptions streamOptions(StreamScopePipelineOptions options) {
    return RStreamOptions.defaults()
        .withStrategy(PersistenceStrategy.parse(options.getRstreamPersistence()))
        .withFlushMode(FlushMode.parse(options.getRstreamFlushMode()))
        .withBatch(RStreamOptions.defaults().batchBytesMax(), options.getRstreamFlushIntervalMs())
        .withMemoryBytesMax(options.getRstreamMemoryBytesMax());
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
