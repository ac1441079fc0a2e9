package dev.streamscope.conformance;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;
import org.opentest4j.AssertionFailedError;

/**
 * Runs one pipeline on Beam's DirectRunner (the reference) and on StreamScope (the candidate) and
 * asserts that both produce the same multiset of output lines.
 *
 * <p>A scenario is a function that builds its pipeline and returns a {@code PCollection<String>}
 * of formatted results (see {@link Formats}). The harness appends a collecting {@link DoFn} that
 * writes every line into a static map keyed by a fresh run id: the runners execute in this JVM,
 * so the test reads the lines back after {@code waitUntilFinish()} reported {@code DONE}.
 *
 * <p>The candidate is StreamScope. Only to validate the scenarios themselves (that they are
 * deterministic) one can run the same tests with {@code -Dstreamscope.conformance.candidate=
 * DirectRunner}: then DirectRunner is compared with a second DirectRunner run.
 */
public final class DifferentialHarness {

  /** System property choosing the candidate runner: {@code StreamScope} (default) or DirectRunner. */
  public static final String CANDIDATE_PROPERTY = "streamscope.conformance.candidate";

  /** Parallelism StreamScope runs with in these tests. */
  public static final int STREAMSCOPE_PARALLELISM = 2;

  /** Longest time one pipeline run may take before the test fails. */
  public static final Duration RUN_TIMEOUT = Duration.standardMinutes(4);

  /** Lines of every run in progress, by run id. */
  private static final ConcurrentHashMap<String, ConcurrentLinkedQueue<String>> OUTPUTS =
      new ConcurrentHashMap<>();

  private DifferentialHarness() {}

  /** Which runner a run uses. */
  public enum Side {
    REFERENCE,
    CANDIDATE
  }

  /** The result of one run: its label and its output lines, sorted. */
  public record RunOutput(String label, List<String> lines) {}

  // ---------------------------------------------------------------------------------------------
  // Options

  /** Options of the reference run: Beam's DirectRunner, blocking in {@code run()}. */
  public static PipelineOptions directRunnerOptions() {
    return PipelineOptionsFactory.fromArgs("--runner=DirectRunner", "--blockOnRun=true").create();
  }

  /** The candidate runner's name: {@code StreamScope} unless the system property says otherwise. */
  public static String candidateName() {
    return System.getProperty(CANDIDATE_PROPERTY, "StreamScope").trim();
  }

  /** True when the candidate is really StreamScope (not the DirectRunner self-check). */
  public static boolean candidateIsStreamScope() {
    return !candidateName().equalsIgnoreCase("DirectRunner");
  }

  /**
   * Arguments of the candidate run: {@code --runner=StreamScope --parallelism=2}, a fresh rStream
   * root under {@code rstreamRoot} when given, plus {@code --streaming=true} when asked.
   */
  public static List<String> candidateArgs(boolean streaming, Path rstreamRoot) {
    List<String> args = new ArrayList<>();
    if (candidateIsStreamScope()) {
      args.add("--runner=StreamScope");
      args.add("--parallelism=" + STREAMSCOPE_PARALLELISM);
      if (rstreamRoot != null) {
        args.add("--rstreamRoot=" + rstreamRoot.toUri());
      }
    } else {
      args.add("--runner=DirectRunner");
      args.add("--blockOnRun=true");
    }
    if (streaming) {
      args.add("--streaming=true");
    }
    return args;
  }

  /** Options of the candidate run, see {@link #candidateArgs}. */
  public static PipelineOptions candidateOptions(boolean streaming, Path rstreamRoot) {
    return PipelineOptionsFactory.fromArgs(candidateArgs(streaming, rstreamRoot).toArray(new String[0]))
        .create();
  }

  // ---------------------------------------------------------------------------------------------
  // Running

  /**
   * Builds the pipeline with {@code builder} on {@code options}, runs it to completion, checks that
   * it finished {@code DONE} and returns its output lines, sorted.
   */
  public static List<String> runAndCollect(
      String label, PipelineOptions options, Function<Pipeline, PCollection<String>> builder) {
    String runId = label + "#" + UUID.randomUUID();
    OUTPUTS.put(runId, new ConcurrentLinkedQueue<>());
    try {
      Pipeline pipeline = Pipeline.create(options);
      PCollection<String> output = builder.apply(pipeline);
      output.apply("CollectConformanceOutput", ParDo.of(new CollectFn(runId)));
      PipelineResult result = pipeline.run();
      PipelineResult.State state = result.waitUntilFinish(RUN_TIMEOUT);
      if (state != PipelineResult.State.DONE) {
        try {
          result.cancel();
        } catch (IOException | RuntimeException e) {
          // Best effort: the assertion below reports the real problem.
        }
        fail(
            label
                + ": pipeline did not finish DONE within "
                + RUN_TIMEOUT
                + " (state "
                + state
                + ")");
      }
      List<String> lines = new ArrayList<>(OUTPUTS.get(runId));
      lines.sort(Comparator.naturalOrder());
      return lines;
    } finally {
      OUTPUTS.remove(runId);
    }
  }

  /**
   * Runs {@code scenario} on DirectRunner and then on the candidate (StreamScope, batch or
   * streaming), and asserts both outputs are equal and, unless the scenario expects none, that
   * they are not empty.
   */
  public static void assertSameOutput(Scenario scenario, boolean streaming) {
    String mode = streaming ? "streaming" : "batch";
    List<String> expected;
    try {
      expected =
          runAndCollect(
              scenario.name() + "/DirectRunner", directRunnerOptions(), scenario.pipeline());
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          scenario.name() + ": the reference DirectRunner run failed (a bug in the scenario): " + e,
          e);
    }
    Path root = null;
    List<String> actual;
    try {
      root = candidateIsStreamScope() ? Files.createTempDirectory("streamscope-conformance-") : null;
      actual =
          runAndCollect(
              scenario.name() + "/" + candidateName() + "/" + mode,
              candidateOptions(streaming, root),
              scenario.pipeline());
    } catch (IOException e) {
      throw new IllegalStateException("cannot create a temporary rStream root", e);
    } catch (RuntimeException e) {
      // Name the scenario in the failure: parameterized runs are otherwise reported by index.
      throw new AssertionFailedError(
          scenario.name() + " (" + mode + "): the " + candidateName() + " run failed: " + e, e);
    } finally {
      deleteRecursively(root);
    }
    assertOutputsEqual(
        scenario.name() + " (" + mode + ")",
        new RunOutput("DirectRunner", expected),
        new RunOutput(candidateName() + " " + mode, actual),
        scenario.expectEmpty());
  }

  /** Asserts that two runs' sorted outputs are equal, with a readable diff when they are not. */
  public static void assertOutputsEqual(
      String scenario, RunOutput reference, RunOutput candidate, boolean expectEmpty) {
    if (expectEmpty) {
      assertTrue(
          reference.lines().isEmpty(),
          () ->
              scenario
                  + ": the reference run was expected to output nothing but output "
                  + reference.lines().size()
                  + " lines, e.g. "
                  + head(reference.lines(), 5));
    } else {
      assertTrue(
          !reference.lines().isEmpty(),
          () -> scenario + ": the reference run (" + reference.label() + ") output nothing");
      assertTrue(
          !candidate.lines().isEmpty(),
          () ->
              scenario
                  + ": "
                  + candidate.label()
                  + " output nothing, while "
                  + reference.label()
                  + " output "
                  + reference.lines().size()
                  + " lines (does the runner execute DoFns in this JVM? does the last stage"
                  + " run at all?)");
    }
    if (!reference.lines().equals(candidate.lines())) {
      fail(diff(scenario, reference, candidate));
    }
  }

  /** A readable multiset difference of two sorted outputs. */
  public static String diff(String scenario, RunOutput reference, RunOutput candidate) {
    Map<String, Integer> counts = new HashMap<>();
    for (String line : reference.lines()) {
      counts.merge(line, 1, Integer::sum);
    }
    for (String line : candidate.lines()) {
      counts.merge(line, -1, Integer::sum);
    }
    List<String> missing = new ArrayList<>();
    List<String> extra = new ArrayList<>();
    counts.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(
            e -> {
              int n = e.getValue();
              for (int i = 0; i < Math.abs(n); i++) {
                (n > 0 ? missing : extra).add(e.getKey());
              }
            });
    StringBuilder sb = new StringBuilder();
    sb.append(scenario)
        .append(": outputs differ\n  ")
        .append(reference.label())
        .append(": ")
        .append(reference.lines().size())
        .append(" lines; ")
        .append(candidate.label())
        .append(": ")
        .append(candidate.lines().size())
        .append(" lines\n");
    appendSection(sb, "only in " + reference.label() + " (missing from " + candidate.label() + ")",
        missing);
    appendSection(sb, "only in " + candidate.label() + " (unexpected)", extra);
    if (missing.isEmpty() && extra.isEmpty()) {
      sb.append("  same lines, different order (should not happen: both lists are sorted)\n");
    }
    return sb.toString();
  }

  private static void appendSection(StringBuilder sb, String title, List<String> lines) {
    if (lines.isEmpty()) {
      return;
    }
    sb.append("  ").append(title).append(": ").append(lines.size()).append(" line(s)\n");
    int shown = 0;
    for (String line : lines) {
      if (shown++ == 25) {
        sb.append("    ... and ").append(lines.size() - 25).append(" more\n");
        break;
      }
      sb.append("    ").append(line).append('\n');
    }
  }

  private static List<String> head(List<String> lines, int n) {
    return lines.subList(0, Math.min(n, lines.size()));
  }

  private static void deleteRecursively(Path root) {
    if (root == null || !Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | RuntimeException e) {
      // Best effort: it is a temporary directory.
    }
  }

  /** Appends every element it sees to the run's queue in {@link #OUTPUTS}. */
  static final class CollectFn extends DoFn<String, Void> {
    private final String runId;

    CollectFn(String runId) {
      this.runId = runId;
    }

    @ProcessElement
    public void processElement(@Element String line) {
      OUTPUTS.computeIfAbsent(runId, id -> new ConcurrentLinkedQueue<>()).add(line);
    }
  }
}
