package dev.streamscope.conformance.bench;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Throughput of StreamScope against the DirectRunner, measured in one run on the same machine.
 *
 * <ul>
 *   <li><b>keyed</b>: N events, key = i % 1000, Sum per key.
 *   <li><b>windowed</b>: N events at event time i ms, 1 s fixed windows, Count per element (element
 *       = i % 10, so every window holds 10 elements of 100 occurrences each).
 *   <li><b>windowedGroup</b>: {@link RecoveryBenchmark#windowedGroupSum}: N events at event time i
 *       ms, key = i % 1000, 1 s fixed windows, an unlifted GroupByKey, then the sum of each group.
 *   <li><b>windowedGroupTriggered</b>: the same with the trigger spelled out ({@code
 *       AfterWatermark.pastEndOfWindow()}, no allowed lateness): the same panes, but StreamScope
 *       runs it through runners-core's ReduceFnRunner, as every GroupByKey with a trigger.
 * </ul>
 *
 * {@code -Dbench.pipelines} picks the pipelines (comma-separated; {@code keyed,windowed} by
 * default).
 *
 * Each result is checked (sum of outputs) so a fast wrong answer cannot pass. Usage: {@code
 * RunnerBenchmark [events] [streamscope args...]}; see the conformance README section of the
 * top-level README for the command.
 */
public final class RunnerBenchmark {
  private static final String OUTPUT_NAMESPACE = "bench";

  private RunnerBenchmark() {}

  /** Adds every output value to a counter so the check reads it back from metrics. */
  static final class SumValues extends DoFn<KV<Long, Long>, Void> {
    private final Counter total = Metrics.counter(OUTPUT_NAMESPACE, "outputTotal");
    private final Counter outputs = Metrics.counter(OUTPUT_NAMESPACE, "outputs");

    @ProcessElement
    public void process(@Element KV<Long, Long> kv) {
      total.inc(kv.getValue());
      outputs.inc();
    }
  }

  static void keyed(Pipeline p, long events) {
    p.apply(GenerateSequence.from(0).to(events))
        .apply(
            MapElements.into(TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.longs()))
                .via(i -> KV.of(i % 1000, i)))
        .apply(Sum.longsPerKey())
        .apply(ParDo.of(new SumValues()));
  }

  static void windowed(Pipeline p, long events) {
    PCollection<Long> timed =
        p.apply(GenerateSequence.from(0).to(events).withTimestampFn(i -> new Instant(i)));
    timed
        .apply(MapElements.into(TypeDescriptors.longs()).via(i -> i % 10))
        .apply(Window.into(FixedWindows.of(Duration.standardSeconds(1))))
        .apply(Count.perElement())
        .apply(ParDo.of(new SumValues()));
  }

  /**
   * One run: wall-clock seconds, and the CPU seconds the whole JVM spent in it (every thread, GC
   * included), which other load on the machine does not inflate as much.
   */
  private record Result(double seconds, double cpuSeconds, long total, long outputs) {}

  private static double processCpuSeconds() {
    return ((com.sun.management.OperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean())
            .getProcessCpuTime()
        / 1e9;
  }

  /** Fails unless {@code result} holds the keyed pipeline's exact sums over {@code events}. */
  static void checkKeyed(PipelineResult result, long events) {
    checkTotal(result, events * (events - 1) / 2);
    long outputs = committed(result, "outputs");
    if (outputs != Math.min(events, 1000)) {
      throw new AssertionError("keyed: wrong result, outputs " + outputs);
    }
  }

  /** Fails unless the outputs of {@code result} sum to {@code expectedTotal}. */
  static void checkTotal(PipelineResult result, long expectedTotal) {
    long total = committed(result, "outputTotal");
    if (total != expectedTotal) {
      throw new AssertionError("wrong result: total " + total + ", expected " + expectedTotal);
    }
  }

  private static Result run(String[] args, Function<Pipeline, Void> build) {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs(args).create());
    build.apply(p);
    long start = System.nanoTime();
    double cpuStart = processCpuSeconds();
    PipelineResult result = p.run();
    result.waitUntilFinish();
    double seconds = (System.nanoTime() - start) / 1e9;
    double cpuSeconds = processCpuSeconds() - cpuStart;
    return new Result(
        seconds, cpuSeconds, committed(result, "outputTotal"), committed(result, "outputs"));
  }

  /**
   * Committed values (both runners report them): after a vertex restart, attempted ones also
   * count the lost attempt.
   */
  private static long committed(PipelineResult result, String name) {
    long sum = 0;
    for (MetricResult<Long> c :
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named(OUTPUT_NAMESPACE, name))
                    .build())
            .getCounters()) {
      sum += c.getCommitted();
    }
    return sum;
  }

  /**
   * {@code RunnerBenchmark [events] [streamscope args...]}: runs every (pipeline, runner) pair in a
   * child JVM of its own, so one runner's garbage never slows the other, with the heap given by
   * {@code -Dbench.streamScopeHeap} (default 1g) and {@code -Dbench.directHeap} (default 4g: the
   * DirectRunner does not finish the windowed pipeline in 1 GiB).
   */
  public static void main(String[] argv) throws Exception {
    if (argv.length > 0 && argv[0].equals("child")) {
      child(argv);
      return;
    }
    long events = argv.length > 0 ? Long.parseLong(argv[0]) : 10_000_000L;
    List<String> streamScopeArgs = new ArrayList<>(List.of("--runner=StreamScope"));
    for (int i = 1; i < argv.length; i++) {
      streamScopeArgs.add(argv[i]);
    }
    List<String> direct =
        List.of("--runner=DirectRunner", "--enforceImmutability=false", "--enforceEncodability=false");
    String directHeap = System.getProperty("bench.directHeap", "4g");
    String streamScopeHeap = System.getProperty("bench.streamScopeHeap", "1g");
    System.out.printf(Locale.ROOT, "events=%,d cores=%d heap: direct %s, streamscope %s%n", events,
        Runtime.getRuntime().availableProcessors(), directHeap, streamScopeHeap);
    System.out.printf(Locale.ROOT, "%-22s %-12s %10s %14s %8s %12s %16s%n", "pipeline", "runner",
        "seconds", "events/s", "ratio", "cpu seconds", "events/cpu s");
    for (String pipeline : System.getProperty("bench.pipelines", "keyed,windowed").split(",")) {
      Result baseline = fork(pipeline, events, directHeap, direct);
      Result ours = fork(pipeline, events, streamScopeHeap, streamScopeArgs);
      long expectedTotal = pipeline.equals("windowed") ? events : events * (events - 1) / 2;
      // keyed: one sum per key; windowedGroup*: every (key, window) holds exactly one event.
      long expectedOutputs =
          pipeline.equals("keyed") ? Math.min(events, 1000) : pipeline.startsWith("windowedGroup") ? events : -1;
      report(pipeline, events, expectedTotal, expectedOutputs, baseline, ours);
    }
  }

  private static Result fork(String pipeline, long events, String heap, List<String> runnerArgs)
      throws Exception {
    List<String> command = new ArrayList<>();
    command.add(System.getProperty("java.home") + "/bin/java");
    command.add("-Xmx" + heap);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(RunnerBenchmark.class.getName());
    command.add("child");
    command.add(pipeline);
    command.add(Long.toString(events));
    command.addAll(runnerArgs);
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int exit = process.waitFor();
    for (String line : output.split("\n")) {
      if (line.startsWith("RESULT ")) {
        String[] fields = line.split(" ");
        return new Result(
            Double.parseDouble(fields[1]),
            Double.parseDouble(fields[2]),
            Long.parseLong(fields[3]),
            Long.parseLong(fields[4]));
      }
    }
    throw new IllegalStateException(
        pipeline + " on " + runnerArgs.get(0) + " (heap " + heap + ") failed with exit " + exit + ":\n"
            + output);
  }

  private static void child(String[] argv) {
    String pipeline = argv[1];
    long events = Long.parseLong(argv[2]);
    String[] args = java.util.Arrays.copyOfRange(argv, 3, argv.length);
    Result result =
        run(
            args,
            p -> {
              switch (pipeline) {
                case "keyed" -> keyed(p, events);
                case "windowed" -> windowed(p, events);
                case "windowedGroup" -> RecoveryBenchmark.windowedGroupSum(p, events);
                case "windowedGroupTriggered" ->
                    RecoveryBenchmark.windowedGroupSum(
                        p,
                        events,
                        Window.<KV<Long, Long>>into(FixedWindows.of(Duration.standardSeconds(1)))
                            .triggering(AfterWatermark.pastEndOfWindow())
                            .withAllowedLateness(Duration.ZERO)
                            .discardingFiredPanes());
                default -> throw new IllegalArgumentException(
                    "Unknown pipeline '" + pipeline + "' in -Dbench.pipelines: expected keyed, windowed, windowedGroup or windowedGroupTriggered");
              }
              return null;
            });
    System.out.printf(Locale.ROOT, "RESULT %.3f %.3f %d %d%n", result.seconds, result.cpuSeconds,
        result.total, result.outputs);
  }

  private static void report(
      String name, long events, long expectedTotal, long expectedOutputs, Result direct, Result ours) {
    for (Result r : List.of(direct, ours)) {
      if (r.total != expectedTotal || (expectedOutputs >= 0 && r.outputs != expectedOutputs)) {
        throw new AssertionError(
            name + ": wrong result, total " + r.total + " (expected " + expectedTotal + "), outputs "
                + r.outputs);
      }
    }
    System.out.printf(Locale.ROOT, "%-22s %-12s %10.2f %,14.0f %8s %12.2f %,16.0f%n", name, "direct",
        direct.seconds, events / direct.seconds, "1.00x", direct.cpuSeconds,
        events / direct.cpuSeconds);
    System.out.printf(Locale.ROOT, "%-22s %-12s %10.2f %,14.0f %7.2fx %12.2f %,16.0f%n", name,
        "streamscope", ours.seconds, events / ours.seconds, direct.seconds / ours.seconds,
        ours.cpuSeconds, events / ours.cpuSeconds);
  }
}
