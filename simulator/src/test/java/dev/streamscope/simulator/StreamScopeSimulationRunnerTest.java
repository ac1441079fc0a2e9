package dev.streamscope.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.io.TextIO;
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
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.WithTimestamps;
import org.apache.beam.sdk.transforms.windowing.AfterPane;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

class StreamScopeSimulationRunnerTest {
  private static Pipeline pipeline(String... args) {
    List<String> all = new ArrayList<>(List.of("--runner=StreamScopeSimulation", "--parallelism=3"));
    all.addAll(List.of(args));
    return Pipeline.create(PipelineOptionsFactory.fromArgs(all.toArray(new String[0])).create());
  }

  private static PCollection<KV<Long, Long>> timedKeyed(Pipeline p, String name, long n) {
    return p.apply(name, GenerateSequence.from(0).to(n))
        .apply(name + "/Time", WithTimestamps.of((Long i) -> new Instant(i * 7)))
        .apply(
            name + "/Key",
            MapElements.into(TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.longs()))
                .via((Long i) -> KV.of(i % 13, i)));
  }

  /** Emits, per key, a running sum at an event-time timer 1 s after the first element. */
  private static final class TimedSum extends DoFn<KV<Long, Long>, KV<Long, Long>> {
    @StateId("sum")
    private final StateSpec<ValueState<Long>> sumSpec = StateSpecs.value(VarLongCoder.of());

    @TimerId("flush")
    private final TimerSpec flushSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    @ProcessElement
    public void process(
        @Element KV<Long, Long> element,
        @StateId("sum") ValueState<Long> sum,
        @TimerId("flush") Timer flush,
        @Timestamp Instant timestamp) {
      Long current = sum.read();
      if (current == null) {
        flush.set(timestamp.plus(Duration.standardSeconds(1)));
      }
      sum.write((current == null ? 0 : current) + element.getValue());
    }

    @OnTimer("flush")
    public void onFlush(
        @Key Long key, @StateId("sum") ValueState<Long> sum, OutputReceiver<KV<Long, Long>> out) {
      out.output(KV.of(key, sum.read()));
      sum.clear();
    }
  }

  private static final class AddTotal extends DoFn<KV<Long, Long>, String> {
    private final PCollectionView<Long> total;

    AddTotal(PCollectionView<Long> total) {
      this.total = total;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      c.output(c.element().getKey() + ":" + c.element().getValue() + "/" + c.sideInput(total));
    }
  }

  @Test
  void aPipelineOfEveryKindOfStepPassesEverySeed() {
    Pipeline p = pipeline("--seeds=6", "--faults=all");
    PCollection<KV<Long, Long>> events = timedKeyed(p, "Events", 3_000);
    PCollection<KV<Long, Long>> windowedSums =
        events
            .apply(
                Window.<KV<Long, Long>>into(FixedWindows.of(Duration.standardSeconds(2)))
                    .triggering(AfterWatermark.pastEndOfWindow().withEarlyFirings(AfterPane.elementCountAtLeast(50)))
                    .withAllowedLateness(Duration.ZERO)
                    .discardingFiredPanes())
            .apply("SumPerWindow", Sum.longsPerKey());
    PCollection<KV<Long, Long>> timed = events.apply("TimedSum", ParDo.of(new TimedSum()));
    PCollectionView<Long> total =
        events
            .apply(MapElements.into(TypeDescriptors.longs()).via(KV::getValue))
            .apply(Sum.longsGlobally().withoutDefaults())
            .apply(View.asSingleton());
    PCollectionList.of(
            windowedSums.apply(
                "Rewindow",
                Window.<KV<Long, Long>>into(new org.apache.beam.sdk.transforms.windowing.GlobalWindows())
                    .triggering(org.apache.beam.sdk.transforms.windowing.DefaultTrigger.of())
                    .withAllowedLateness(Duration.ZERO)
                    .discardingFiredPanes()))
        .and(timed)
        .apply(Flatten.pCollections())
        .apply(ParDo.of(new AddTotal(total)).withSideInputs(total))
        .apply(Count.perElement());
    SimulationResult result = (SimulationResult) p.run();
    assertEquals(PipelineResult.State.DONE, result.waitUntilFinish(), result.report().summary());
    assertEquals("6 passed, 0 failed", result.report().summary());
    assertTrue(
        result.report().outcomes().stream().anyMatch(o -> o.faults().contains(Faults.JITTER)),
        "some seed injected jitter");
  }

  private static final AtomicLong RUNS = new AtomicLong();

  /** Not a function of its input: a different value every time it runs. */
  private static final class RunCounter extends DoFn<Long, KV<String, Long>> {
    @ProcessElement
    public void process(@Element Long element, OutputReceiver<KV<String, Long>> out) {
      out.output(KV.of("run", element == 0 ? RUNS.incrementAndGet() : 0L));
    }
  }

  @Test
  void aNondeterministicStepIsCaughtAndTheSeedIsNamed() {
    Pipeline p = pipeline("--seeds=2", "--faults=jitter");
    p.apply(GenerateSequence.from(0).to(100))
        .apply(ParDo.of(new RunCounter()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()))
        .apply(GroupByKey.create());
    SimulationResult result = (SimulationResult) p.run();
    assertEquals(PipelineResult.State.FAILED, result.getState());
    assertEquals("0 passed, 2 failed", result.report().summary());
    String violation = result.report().outcomes().get(0).violations().get(0);
    assertTrue(violation.startsWith("exactly-once:"), violation);
    Pipeline.PipelineExecutionException error =
        assertThrows(Pipeline.PipelineExecutionException.class, result::waitUntilFinish);
    assertTrue(error.getMessage().contains("0 passed, 2 failed"), error.getMessage());
  }

  /** Whether the sink's directory was on the disk while any simulated run ran (it must not be). */
  private static final java.util.concurrent.atomic.AtomicBoolean OUTPUT_ON_DISK_DURING_A_RUN =
      new java.util.concurrent.atomic.AtomicBoolean();

  /** Passes numbers through, noting whether {@code directory} exists on the disk meanwhile. */
  private static final class LookAtTheDisk extends DoFn<Long, Long> {
    private final String directory;

    LookAtTheDisk(String directory) {
      this.directory = directory;
    }

    @ProcessElement
    public void process(@Element Long element, OutputReceiver<Long> out) {
      if (java.nio.file.Files.exists(java.nio.file.Path.of(directory))) {
        OUTPUT_ON_DISK_DURING_A_RUN.set(true);
      }
      out.output(element);
    }
  }

  /** Lines of the files in {@code directory} whose names start with {@code prefix}, sorted. */
  private static List<String> linesOf(java.nio.file.Path directory, String prefix) throws Exception {
    List<String> lines = new ArrayList<>();
    try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.list(directory)) {
      for (java.nio.file.Path file : files.sorted().toList()) {
        assertTrue(file.getFileName().toString().startsWith(prefix), "only the sink's files are left: " + file);
        lines.addAll(java.nio.file.Files.readAllLines(file));
      }
    }
    lines.sort(null);
    return lines;
  }

  @Test
  void theSinksFilesAreWrittenOnceFromTheReferenceRunAndEverySeedsAreCompared(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path temp) throws Exception {
    java.nio.file.Path output = temp.resolve("out");
    OUTPUT_ON_DISK_DURING_A_RUN.set(false);
    Pipeline p = pipeline("--seeds=3", "--faults=all");
    p.apply(GenerateSequence.from(0).to(600))
        .apply(ParDo.of(new LookAtTheDisk(output.toString())))
        .apply(MapElements.into(TypeDescriptors.strings()).via((Long i) -> "line " + i))
        .apply(TextIO.write().to(output.resolve("lines").toString()));
    SimulationResult result = (SimulationResult) p.run();
    assertEquals("3 passed, 0 failed", result.report().summary());
    assertFalse(OUTPUT_ON_DISK_DURING_A_RUN.get(), "a simulated run wrote the sink's directory to the disk");
    List<String> expected = new ArrayList<>();
    for (long i = 0; i < 600; i++) {
      expected.add("line " + i);
    }
    expected.sort(null);
    assertEquals(expected, linesOf(output, "lines-"));
    for (SimulationReport.SeedOutcome seed : result.report().outcomes()) {
      assertEquals(600, seed.run().files().written().values().stream()
          .mapToLong(bytes -> new String(bytes, java.nio.charset.StandardCharsets.UTF_8).lines().count())
          .sum(), "seed " + seed.run().seed() + " wrote every line once, in memory");
    }
  }

  /** A number's line, with a mark from one run in a hundred (per JVM, so per simulated run). */
  private static final class SometimesMarked extends DoFn<Long, String> {
    @ProcessElement
    public void process(@Element Long element, OutputReceiver<String> out) {
      out.output("line " + element + (element == 7 ? " of run " + RUNS.incrementAndGet() : ""));
    }
  }

  @Test
  void aSeedWhoseFilesDifferFromTheReferenceRunsFailsTheOutputFilesChecker(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path temp) throws Exception {
    Pipeline p = pipeline("--seeds=2", "--faults=jitter", "--nondeterministicSteps=Mark");
    p.apply(GenerateSequence.from(0).to(100))
        .apply("Mark", ParDo.of(new SometimesMarked()))
        .apply(TextIO.write().to(temp.resolve("marked").toString()));
    SimulationResult result = (SimulationResult) p.run();
    assertEquals("0 passed, 2 failed", result.report().summary());
    String violation = result.report().outcomes().get(0).violations().get(0);
    assertTrue(violation.startsWith("output files: output "), violation);
    assertTrue(violation.contains("100 lines, reference 100") && violation.contains("line 7 of run"), violation);
  }

  @Test
  void theSameSeedReplaysTheSameRun() {
    RunRecord[] runs = new RunRecord[2];
    for (int i = 0; i < 2; i++) {
      Pipeline p = pipeline();
      timedKeyed(p, "Events", 2_000)
          .apply(Window.into(FixedWindows.of(Duration.standardSeconds(1))))
          .apply(Count.perKey());
      runs[i] =
          Simulation.run(
              dev.streamscope.translation.PipelineTranslator.translate(p, 3).graph(),
              42,
              Faults.parse("all"),
              new Simulation.Settings(
                  dev.streamscope.vertex.VertexConfig.defaults(),
                  dev.streamscope.rstream.persist.RStreamOptions.defaults(),
                  stage -> dev.streamscope.vertex.RecoveryStrategy.HYBRID,
                  1_000,
                  3_600_000,
                  500));
    }
    assertTrue(runs[0].finished());
    assertEquals(runs[0].traceHash(), runs[1].traceHash());
    assertEquals(runs[0].tasks(), runs[1].tasks());
    assertFalse(new dev.streamscope.simulator.checkers.DeterminismChecker().check(runs[0], runs[1]).isPresent());
  }

  @Test
  void aPrintedReplayRunsTheSameRunAsTheSeedInItsRange() {
    SimulationResult range = (SimulationResult) keyedCounts(pipeline("--seeds=4", "--faults=all")).run();
    SimulationReport.SeedOutcome third = range.report().outcomes().get(2);
    SimulationResult replay =
        (SimulationResult)
            keyedCounts(
                    pipeline("--seed=3", "--faults=" + SimulationReport.faultList(third.faults())))
                .run();
    SimulationReport.SeedOutcome replayed = replay.report().outcomes().get(0);
    assertEquals(third.faults(), replayed.faults());
    assertEquals(third.run().traceHash(), replayed.run().traceHash());
    assertEquals(third.run().tasks(), replayed.run().tasks());
  }

  /**
   * Per-step strategies, as a real run takes them: the source stage keeps its streams in memory
   * (checkpoint-replay), the grouping stage persists them synchronously (persistent), the
   * regrouping stage recomputes; every fault, every seed exact.
   */
  @Test
  void perStepRecoveryStrategiesAreSimulated() {
    Pipeline p =
        pipeline(
            "--seeds=4", "--faults=all",
            "--recoveryStrategies=Events=checkpoint-replay,Group=persistent,Regroup=recompute");
    timedKeyed(p, "Events", 2_000)
        .apply(Window.into(FixedWindows.of(Duration.standardSeconds(1))))
        .apply("Group", GroupByKey.create())
        .apply(
            "Sizes",
            MapElements.into(TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.longs()))
                .via(
                    (KV<Long, Iterable<Long>> group) -> {
                      long size = 0;
                      for (long ignored : group.getValue()) {
                        size++;
                      }
                      return KV.of(group.getKey() % 3, size);
                    }))
        .apply("Regroup", GroupByKey.create());
    SimulationResult result = (SimulationResult) p.run();
    assertEquals("4 passed, 0 failed", result.report().summary());
    java.util.Map<String, Long> probes = result.report().probeTotals();
    for (String persistence : List.of("synchronous", "memory-only")) {
      assertTrue(probes.getOrDefault("opened a " + persistence + " stream", 0L) > 0, persistence + " in " + probes);
    }
    assertFalse(probes.containsKey("opened a hybrid stream"), "no stage was left hybrid: " + probes);
  }

  private static Pipeline keyedCounts(Pipeline p) {
    timedKeyed(p, "Events", 2_000)
        .apply(Window.into(FixedWindows.of(Duration.standardSeconds(1))))
        .apply(Count.perKey());
    return p;
  }

  @Test
  void badOptionsAreNamed() {
    IllegalArgumentException faults =
        assertThrows(IllegalArgumentException.class, () -> pipeline("--faults=jitter,meteor").run());
    assertTrue(faults.getMessage().contains("--faults") && faults.getMessage().contains("meteor"), faults.getMessage());
    IllegalArgumentException seeds =
        assertThrows(IllegalArgumentException.class, () -> pipeline("--seeds=0").run());
    assertTrue(seeds.getMessage().contains("--seeds=0"), seeds.getMessage());
    IllegalArgumentException trace =
        assertThrows(IllegalArgumentException.class, () -> pipeline("--traceFile=t.trace").run());
    assertTrue(trace.getMessage().contains("--traceFile") && trace.getMessage().contains("--seed"), trace.getMessage());
    IllegalArgumentException perStep =
        assertThrows(IllegalArgumentException.class, () -> keyedCounts(pipeline("--recoveryStrategies=Nowhere=persistent")).run());
    assertTrue(
        perStep.getMessage().contains("--recoveryStrategies") && perStep.getMessage().contains("Nowhere"),
        perStep.getMessage());
    IllegalArgumentException persistence =
        assertThrows(IllegalArgumentException.class, () -> pipeline("--rstreamPersistence=tape").run());
    assertTrue(persistence.getMessage().contains("--rstreamPersistence"), persistence.getMessage());
  }
}
