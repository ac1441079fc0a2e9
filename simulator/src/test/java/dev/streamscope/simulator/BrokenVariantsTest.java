package dev.streamscope.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithTimestamps;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The checkers can fail: each test switches on one deliberate bug (a test-only hook in product
 * code), simulates a fixed budget of seeds, and asserts that some seed fails, which checker said
 * so, and that the same seeds pass without the bug (so the bug, not the faults, is what failed).
 */
class BrokenVariantsTest {
  /** Seeds a variant may take to be caught. */
  private static final int SEED_BUDGET = 20;

  @AfterEach
  void switchEveryBugOff() {
    dev.streamscope.rstream.TestHooks.rewritesAppend = false;
    dev.streamscope.rstream.TestHooks.skipFlushBeforeDurable = false;
    dev.streamscope.vertex.TestHooks.ignoreRegeneration = false;
    dev.streamscope.vertex.TestHooks.mergeByArrival = false;
    dev.streamscope.vertex.TestHooks.skipIdleRepoll = false;
    dev.streamscope.translation.runtime.TestHooks.skipTimerRestore = false;
  }

  private static PCollection<KV<String, Long>> events(Pipeline p, String name, long n, long stepMs) {
    return p.apply(name, GenerateSequence.from(0).to(n))
        .apply(name + "/Time", WithTimestamps.of((Long i) -> new Instant(i * stepMs)))
        .apply(
            name + "/Key",
            MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.longs()))
                .via((Long i) -> KV.of("k" + (i % 7), i)));
  }

  /**
   * Sums each key's values and emits the sum when its window ends (here the global window: when
   * the input ends). Only the key's first element sets the event-time timer, which then stays
   * pending for the whole run, so a vertex that restores its state without its timers never emits
   * the sums of the keys it had seen.
   */
  private static final class SumAtWindowEnd extends DoFn<KV<String, Long>, KV<String, Long>> {
    @StateId("sum")
    private final StateSpec<ValueState<Long>> sumSpec = StateSpecs.value(VarLongCoder.of());

    @TimerId("end")
    private final TimerSpec endSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    @ProcessElement
    public void process(
        @Element KV<String, Long> element,
        @StateId("sum") ValueState<Long> sum,
        @TimerId("end") Timer end,
        BoundedWindow window) {
      Long before = sum.read();
      if (before == null) {
        end.set(window.maxTimestamp());
      }
      sum.write((before == null ? 0 : before) + element.getValue());
    }

    @OnTimer("end")
    public void onEnd(
        @Key String key, @StateId("sum") ValueState<Long> sum, OutputReceiver<KV<String, Long>> out) {
      out.output(KV.of(key, sum.read()));
    }
  }

  /**
   * Per-key sums emitted by timers (30 keys: every partition holds timers from its first bundle
   * on), grouped again so that the sums cross an rStream the checkers see.
   */
  private static void sumsByTimers(Pipeline p) {
    p.apply(GenerateSequence.from(0).to(10_000))
        .apply(WithTimestamps.of((Long i) -> new Instant(i)))
        .apply(
            MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.longs()))
                .via((Long i) -> KV.of("k" + (i % 30), i)))
        .apply(ParDo.of(new SumAtWindowEnd()))
        .apply(GroupByKey.create());
  }

  /** Simulates {@link #flattenedCounts} with {@code faults} over the seed budget. */
  private static SimulationResult simulate(String faults, String... more) {
    List<String> args = new java.util.ArrayList<>(List.of("--maxBundleSize=100"));
    args.addAll(List.of(more));
    return simulate(BrokenVariantsTest::flattenedCounts, faults, args);
  }

  /** Simulates the pipeline {@code build} makes with {@code faults} over the seed budget. */
  private static SimulationResult simulate(Consumer<Pipeline> build, String faults, List<String> more) {
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "--runner=StreamScopeSimulation", "--parallelism=3", "--seeds=" + SEED_BUDGET,
                "--faults=" + faults));
    args.addAll(more);
    return simulate(build, args, new ByteArrayOutputStream());
  }

  /** Simulates {@link #flattenedCounts} with {@code args}, printing the report to {@code report}. */
  private static SimulationResult simulate(List<String> args, ByteArrayOutputStream report) {
    return simulate(BrokenVariantsTest::flattenedCounts, args, report);
  }

  private static SimulationResult simulate(
      Consumer<Pipeline> build, List<String> args, ByteArrayOutputStream report) {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs(args.toArray(new String[0])).create());
    build.accept(p);
    PrintStream stdout = System.out;
    System.setOut(new PrintStream(report, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      return (SimulationResult) p.run();
    } finally {
      System.setOut(stdout);
    }
  }

  /**
   * Three sources merged by a Flatten into windowed counts, whose results are grouped again: the
   * merging stage and the counting stage both write rStreams the checkers see.
   */
  private static void flattenedCounts(Pipeline p) {
    PCollectionList.of(events(p, "A", 1_500, 2))
        .and(events(p, "B", 1_000, 3))
        .and(events(p, "C", 700, 4))
        .apply(Flatten.pCollections())
        .apply(Window.into(FixedWindows.of(Duration.standardSeconds(1))))
        .apply(Count.perKey())
        .apply(
            MapElements.into(TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.longs()))
                .via((KV<String, Long> kv) -> KV.of(kv.getValue() % 5, kv.getValue())))
        .apply(GroupByKey.create());
  }

  /**
   * Asserts that {@code buggy} failed some seed within the budget, with {@code checker} among
   * the first failing seed's violations; returns how many seeds it took.
   */
  private static int caughtBy(String variant, String checker, SimulationResult buggy) {
    List<SimulationReport.SeedOutcome> outcomes = buggy.report().outcomes();
    Optional<SimulationReport.SeedOutcome> first = outcomes.stream().filter(o -> !o.passed()).findFirst();
    assertTrue(first.isPresent(), variant + ": no seed of " + SEED_BUDGET + " failed");
    int seeds = outcomes.indexOf(first.get()) + 1;
    List<String> violations = first.get().violations();
    System.out.printf(
        "%s: caught after %d seed(s), %d of %d seeds failed; first: %s%n",
        variant, seeds, buggy.report().failed(), outcomes.size(), violations);
    assertTrue(
        violations.stream().anyMatch(v -> v.startsWith(checker + ":")),
        variant + ": expected the " + checker + " checker, got " + violations);
    return seeds;
  }

  @Test
  void rewritesThatAppendAreCaughtByExactlyOnce() {
    String faults = "vertex-crash,worker-crash";
    dev.streamscope.rstream.TestHooks.rewritesAppend = true;
    caughtBy("drop the dedup of rewritten seqs", "exactly-once", simulate(faults));
    dev.streamscope.rstream.TestHooks.rewritesAppend = false;
    dev.streamscope.rstream.TestHooks.skipFlushBeforeDurable = false;
    dev.streamscope.vertex.TestHooks.ignoreRegeneration = false;
    assertEquals(SEED_BUDGET + " passed, 0 failed", simulate(faults).report().summary());
  }

  @Test
  void aMergeByArrivalIsCaughtByStreamOrder() {
    String faults = "jitter,straggler";
    dev.streamscope.vertex.TestHooks.mergeByArrival = true;
    caughtBy("reorder a multi-input merge", "stream-order", simulate(faults));
    dev.streamscope.vertex.TestHooks.mergeByArrival = false;
    assertEquals(SEED_BUDGET + " passed, 0 failed", simulate(faults).report().summary());
  }

  @Test
  void markingDurableWithoutAFlushIsCaughtByDurability() {
    String faults = "worker-crash";
    dev.streamscope.rstream.TestHooks.skipFlushBeforeDurable = true;
    caughtBy("skip the flush before marking durable", "durability", simulate(faults, "--rstreamPersistence=hybrid"));
    dev.streamscope.rstream.TestHooks.skipFlushBeforeDurable = false;
    assertEquals(SEED_BUDGET + " passed, 0 failed", simulate(faults, "--rstreamPersistence=hybrid").report().summary());
  }

  /**
   * Under recompute every restarted reader reads its inputs from the start, so it needs every
   * tail a crash lost; with snapshots a restarted reader often restores past the lost tail, and
   * the bug shows less often (2 of 20 seeds).
   */
  @Test
  void anUnpersistedTailLostWithoutRecomputeIsCaughtByLiveness() {
    String faults = "worker-crash";
    String[] recovery = {"--recoveryStrategy=recompute", "--rstreamPersistence=hybrid"};
    dev.streamscope.vertex.TestHooks.ignoreRegeneration = true;
    caughtBy("lose the unpersisted tail without recompute", "liveness", simulate(faults, recovery));
    dev.streamscope.vertex.TestHooks.ignoreRegeneration = false;
    assertEquals(SEED_BUDGET + " passed, 0 failed", simulate(faults, recovery).report().summary());
  }

  /**
   * Lost notifications leave a reader asleep unless it re-polls: without the re-poll the run
   * stalls; with it every seed finishes with the reference's output (exactly-once and the other
   * checkers pass too), as the notifications found the news late rather than never.
   */
  @Test
  void aMissingRepollUnderMessageLossIsCaughtByLiveness() {
    String faults = "message-loss";
    dev.streamscope.vertex.TestHooks.skipIdleRepoll = true;
    caughtBy("no re-poll of an idle vertex", "liveness", simulate(faults));
    dev.streamscope.vertex.TestHooks.skipIdleRepoll = false;
    SimulationResult repolled = simulate(faults);
    assertEquals(SEED_BUDGET + " passed, 0 failed", repolled.report().summary());
    assertTrue(
        repolled.report().probeTotals().getOrDefault("message-loss", 0L) > 0,
        "no notification was lost: " + repolled.report().probeTotals());
  }

  /**
   * A vertex snapshots at most every checkpoint interval of virtual time, and a run without
   * delaying faults lasts a few virtual ms (tasks cost 2-40 µs each): so a 1 ms interval (a seed
   * draws 1, 10, 100 ms or this) and small bundles (many turns, so the crash, placed among as
   * many tasks as a failure-free run takes, lands after the first snapshots); a worker crash
   * always kills a vertex with timers. Crashes alone suffice: no fault needs to delay anything.
   */
  @Test
  void timersNotRestoredAreCaughtByExactlyOnce() {
    String faults = "worker-crash";
    List<String> options = List.of("--checkpointIntervalMs=1", "--maxBundleSize=20");
    dev.streamscope.translation.runtime.TestHooks.skipTimerRestore = true;
    caughtBy("skip restoring timers", "exactly-once", simulate(BrokenVariantsTest::sumsByTimers, faults, options));
    dev.streamscope.translation.runtime.TestHooks.skipTimerRestore = false;
    assertEquals(
        SEED_BUDGET + " passed, 0 failed",
        simulate(BrokenVariantsTest::sumsByTimers, faults, options).report().summary());
  }

  @Test
  void aFailingSeedPrintsTheCommandThatReplaysItWithATrace(@TempDir Path temp) throws Exception {
    dev.streamscope.vertex.TestHooks.mergeByArrival = true;
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    SimulationResult buggy =
        simulate(
            List.of("--runner=StreamScopeSimulation", "--parallelism=3", "--maxBundleSize=100",
                "--seeds=" + SEED_BUDGET, "--faults=jitter,straggler"),
            printed);
    SimulationReport.SeedOutcome failed =
        buggy.report().outcomes().stream().filter(o -> !o.passed()).findFirst().orElseThrow();
    String marker = "replay with a trace: ";
    String printedLine =
        printed.toString(java.nio.charset.StandardCharsets.UTF_8).lines()
            .filter(line -> line.contains(marker))
            .findFirst()
            .orElseThrow();
    String replayLine = printedLine.substring(printedLine.indexOf(marker) + marker.length());
    System.out.println("printed: " + replayLine);
    assertTrue(replayLine.contains("--parallelism=3") && replayLine.contains("--maxBundleSize=100"), replayLine);
    assertTrue(replayLine.contains("--seed=" + failed.run().seed()), replayLine);
    Path trace = temp.resolve("seed.trace");
    List<String> args = new java.util.ArrayList<>();
    for (String arg : replayLine.split(" ")) {
      args.add(arg.startsWith("--traceFile=") ? "--traceFile=" + trace : arg);
    }
    SimulationResult replay = simulate(args, new ByteArrayOutputStream());
    SimulationReport.SeedOutcome replayed = replay.report().outcomes().get(0);
    assertEquals(failed.violations().get(0), replayed.violations().get(0));
    assertEquals(failed.run().traceHash(), replayed.run().traceHash());
    List<String> lines = Files.readAllLines(trace);
    assertEquals(replayed.run().tasks(), lines.stream().filter(line -> !line.startsWith("#")).count());
  }
}
