package dev.streamscope.conformance.bench;

import dev.streamscope.runner.StreamScopePipelineResult;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * What recovery costs and how fast it is, in one run (issue 5's benchmark).
 *
 * <ol>
 *   <li>Throughput per recovery strategy against no persistence and no snapshots ({@code
 *       --rstreamPersistence=memory-only --recoveryStrategy=recompute}), on the keyed pipeline of
 *       {@link RunnerBenchmark} (N events, key = i % 1000, Sum per key; results checked). {@code
 *       persistent} persists every event synchronously, so it runs on 1/50 of the events.
 *   <li>Kill-to-caught-up time by checkpoint interval (hybrid): a vertex of the GroupByKey stage
 *       of a keyed windowed job (key i % 1000, 1 s windows, sum per key and window) is killed
 *       half way through its input. First the streaming job the goal is about ({@link
 *       #streamingGroupSum}: a paced unbounded source whose watermark follows event time, so
 *       windows close as it runs and the state stays bounded; caught up = the replacement consumed
 *       as much input as the killed instance AND its input backlog is back to what it was before
 *       the kill), then the batch job ({@link #windowedGroupSum}: bounded input, every element held
 *       until the end, so the state and each snapshot grow with the input; caught up = consumed as
 *       much). Each row splits the time from the kill into: replacement running (snapshot read and
 *       restored), input replayed up to where the killed one was, caught up.
 * </ol>
 *
 * Usage: {@code RecoveryBenchmark [events]}; run with {@code ./mvnw -q -pl conformance
 * test-compile exec:exec -Dbench.main=dev.streamscope.conformance.bench.RecoveryBenchmark}
 * (events: {@code -Dbench.events}, 10M by default; {@code -Dbench.skipKills=true} skips part 2,
 * and, running the class directly with {@code java -cp}, {@code -Dbench.killsOnly=true} part 1,
 * {@code -Dbench.skipStreaming} and {@code -Dbench.skipBatch} a job of part 2, {@code
 * -Dbench.killRepeats} (3) kills per row, {@code -Dbench.trace} the backlog while catching up; the
 * streaming job: {@code -Dbench.ratePerSecond}
 * (10,000) for {@code -Dbench.streamingSeconds} (12); keep the rate well under what the machine's
 * grouping vertices sustain, or no replacement can catch up). Each throughput is the fastest of
 * three runs.
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
    runOnce(events / 10, "--runner=StreamScope"); // Warm-up.
    if (!Boolean.getBoolean("bench.killsOnly")) {
      throughputs(events);
    }
    if (Boolean.getBoolean("bench.skipKills")) {
      return;
    }
    recoveryTimes(events);
  }

  /** Part 1. */
  private static void throughputs(long events) {
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
  }

  /**
   * Part 2: the streaming job (bounded state), then the batch job (state grows with the input), a
   * vertex of the Group stage killed in each, at every checkpoint interval.
   */
  private static void recoveryTimes(long events) throws Exception {
    long ratePerSecond = Long.getLong("bench.ratePerSecond", 10_000);
    long streamingEvents = ratePerSecond * Long.getLong("bench.streamingSeconds", 12);
    long[] intervalsMs = {100, 250, 500, 1000};
    if (!Boolean.getBoolean("bench.skipStreaming")) {
      streamingRecoveryTimes(ratePerSecond, streamingEvents, intervalsMs);
    }
    if (!Boolean.getBoolean("bench.skipBatch")) {
      batchRecoveryTimes(events, intervalsMs);
    }
  }

  private static void streamingRecoveryTimes(
      long ratePerSecond, long streamingEvents, long[] intervalsMs) throws Exception {
    System.out.printf(Locale.ROOT,
        "%nstreaming: %,d events at %,d/s, event time = wall time, 1 s windows close as the"
            + " watermark passes; caught up = consumed as much as the killed instance AND input"
            + " backlog <= backlog max: its 90th percentile over the 20%% of its input before the kill,"
            + " at least %d ms of its input%n",
        streamingEvents, ratePerSecond, CAUGHT_UP_LAG_MS);
    Consumer<Pipeline> streaming = p -> streamingGroupSum(p, streamingEvents, ratePerSecond);
    System.out.printf(Locale.ROOT, "  without a kill: %.2f s%n",
        plainRunSeconds(streaming, streamingEvents, true));
    // Warm-up: the first restore in a JVM loads and compiles the restore path.
    killAndCatchUp(streaming, streamingEvents, 1000, true, ratePerSecond);
    printHeader();
    for (long intervalMs : intervalsMs) {
      printMedian(intervalMs, streaming, streamingEvents, true, ratePerSecond);
    }
  }

  private static void batchRecoveryTimes(long events, long[] intervalsMs) throws Exception {
    System.out.printf(Locale.ROOT,
        "%nbatch: %,d events, bounded input (watermark at the start of time until the end: every"
            + " element is held until then, so the state and each snapshot grow with the input);"
            + " caught up = consumed as much as the killed instance%n",
        events);
    System.out.printf(Locale.ROOT, "  without a kill: %.2f s%n",
        plainRunSeconds(p -> windowedGroupSum(p, events), events, false));
    printHeader();
    for (long intervalMs : intervalsMs) {
      printMedian(intervalMs, p -> windowedGroupSum(p, events), events, false, 0);
    }
  }

  /** A replacement is caught up once its backlog is at most this much of its input. */
  private static final long CAUGHT_UP_LAG_MS = 50;

  private static void printHeader() {
    System.out.printf(Locale.ROOT, "  (the run with the median caught-up time of %d; all: last column)%n",
        KILL_REPEATS);
    System.out.printf(Locale.ROOT, "  %-10s %12s %10s %11s %12s %9s %11s  %s%n", "intervalMs",
        "restarted ms", "restored", "replayed ms", "caught up ms", "intervals", "backlog max",
        "caught up ms, all runs");
  }

  private static final int KILL_REPEATS = Integer.getInteger("bench.killRepeats", 3);

  /** One row: the kill whose caught-up time is the median of {@link #KILL_REPEATS}. */
  private static void printMedian(long intervalMs, Consumer<Pipeline> build, long events,
      boolean streaming, long ratePerSecond) throws Exception {
    List<Recovery> runs = new ArrayList<>();
    for (int i = 0; i < KILL_REPEATS; i++) {
      runs.add(killAndCatchUp(build, events, intervalMs, streaming, ratePerSecond));
    }
    runs.sort(Comparator.comparingDouble(Recovery::caughtUpMs));
    Recovery median = runs.get(runs.size() / 2);
    System.out.printf(Locale.ROOT, "  %-10d %12.1f %10s %11.1f %12.1f %9.2f %11s  %s%n", intervalMs,
        median.restartedMs(), median.restored() > 0 ? "snapshot " + median.restored() : "scratch",
        median.replayedMs(), median.caughtUpMs(), median.caughtUpMs() / intervalMs,
        streaming ? String.valueOf(median.backlogMax()) : "-",
        runs.stream().map(r -> String.format(Locale.ROOT, "%.0f", r.caughtUpMs())).toList());
  }

  /** Times from a kill, in ms; the snapshot version restored (0: none). */
  private record Recovery(
      double restartedMs, long restored, double replayedMs, double caughtUpMs, long backlogMax) {}

  /** Polls without taking a core from the job (the machine has two). */
  private static void pause() {
    LockSupport.parkNanos(200_000);
  }

  private static double plainRunSeconds(Consumer<Pipeline> build, long events, boolean streaming) {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs(args(streaming, 1000)).create());
    build.accept(p);
    long start = System.nanoTime();
    PipelineResult result = p.run();
    result.waitUntilFinish();
    RunnerBenchmark.checkTotal(result, events * (events - 1) / 2);
    return (System.nanoTime() - start) / 1e9;
  }

  private static String[] args(boolean streaming, long intervalMs) {
    return streaming
        ? new String[] {"--runner=StreamScope", "--parallelism=2", "--streaming",
            "--checkpointIntervalMs=" + intervalMs}
        : new String[] {"--runner=StreamScope", "--parallelism=2",
            "--checkpointIntervalMs=" + intervalMs};
  }

  /**
   * Kills the first vertex of the Group stage once it consumed half of its share of the input and
   * times, from the kill: its replacement running (restored), its replacement having consumed as
   * much input as it had (replayed), and (streaming) its input backlog back within what it was
   * before the kill (its 90th percentile over the last 20% of its input before, at least {@link
   * #CAUGHT_UP_LAG_MS} of its input): caught up. Batch: caught up = replayed (no live input).
   */
  private static Recovery killAndCatchUp(
      Consumer<Pipeline> build, long events, long intervalMs, boolean streaming, long ratePerSecond)
      throws Exception {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs(args(streaming, intervalMs)).create());
    build.accept(p);
    StreamScopePipelineResult result = (StreamScopePipelineResult) p.run();
    String victim =
        result.vertexIds().stream()
            .filter(id -> id.startsWith("Group"))
            .findFirst()
            .orElseThrow(() -> new IllegalStateException("No Group stage among " + result.vertexIds()));
    long killAt = events / 2 / 2;
    // How far behind its input the vertex runs before the kill (not 0: sources emit in bursts, the
    // grouping stalls while it fires windows, the machine is shared): its 90th percentile.
    List<Long> backlogsBeforeKill = new ArrayList<>();
    for (long consumedNow; (consumedNow = result.consumedEvents(victim)) < killAt; ) {
      if (consumedNow >= killAt * 8 / 10) {
        backlogsBeforeKill.add(result.inputBacklogEvents(victim));
      }
      pause();
    }
    Collections.sort(backlogsBeforeKill);
    long backlogBeforeKill =
        backlogsBeforeKill.isEmpty() ? 0 : backlogsBeforeKill.get(backlogsBeforeKill.size() * 9 / 10);
    long consumed = result.consumedEvents(victim);
    long killedAt = System.nanoTime();
    result.killVertex(victim);
    while (!result.vertexBegun(victim)) {
      pause();
    }
    long restartedAt = System.nanoTime();
    long restored = result.restoredSnapshotVersion(victim);
    while (result.consumedEvents(victim) < consumed) {
      pause();
    }
    long replayedAt = System.nanoTime();
    // Its share of the input (half) during the lag.
    long backlogMax = Math.max(backlogBeforeKill, ratePerSecond * CAUGHT_UP_LAG_MS / 1000 / 2);
    boolean trace = Boolean.getBoolean("bench.trace");
    long tracedAt = 0;
    while (streaming && result.inputBacklogEvents(victim) > backlogMax) {
      if (trace && System.nanoTime() - tracedAt > 250_000_000L) {
        tracedAt = System.nanoTime();
        System.out.printf(Locale.ROOT, "    trace: +%d ms backlog %d (caught up at %d), consumed %d%n",
            (tracedAt - killedAt) / 1_000_000, result.inputBacklogEvents(victim), backlogMax,
            result.consumedEvents(victim));
      }
      pause();
    }
    long caughtUpAt = System.nanoTime();
    result.waitUntilFinish();
    RunnerBenchmark.checkTotal(result, events * (events - 1) / 2);
    return new Recovery((restartedAt - killedAt) / 1e6, restored, (replayedAt - killedAt) / 1e6,
        (caughtUpAt - killedAt) / 1e6, backlogMax);
  }

  /**
   * The streaming kill target: {@link PacedSequenceSource} (event time runs with wall time, the
   * watermark follows it), then the keyed windowed grouping of {@link #windowedGroupSum}.
   */
  static void streamingGroupSum(Pipeline p, long events, long ratePerSecond) {
    groupSum(
        p.apply(Read.from(new PacedSequenceSource(events, ratePerSecond))),
        Window.<KV<Long, Long>>into(FixedWindows.of(Duration.standardSeconds(1))));
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
    groupSum(p.apply(GenerateSequence.from(0).to(events).withTimestampFn(i -> new Instant(i))), window);
  }

  /** Key i % 1000, windowed by {@code window}, GroupByKey, then a sum per key and window. */
  private static void groupSum(PCollection<Long> numbers, Window<KV<Long, Long>> window) {
    numbers
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
}
