package dev.streamscope.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.WithTimestamps;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.transforms.windowing.AfterPane;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.SlidingWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CI scenarios: eight pipelines, each simulated with every fault kind over several seeds,
 * under every recovery strategy (hybrid, persistent, checkpoint-replay, and recompute on hybrid
 * and on memory-only rStreams); every seed must pass every checker, and every fault that strikes
 * at a moment must have struck somewhere in the suite. {@code -Dsimulation.seeds=N} runs more
 * seeds (see README).
 */
class SimulationScenariosTest {
  private static final int SEEDS = Integer.getInteger("simulation.seeds", 4);
  private static final java.util.Map<String, Long> STRUCK = new java.util.TreeMap<>();

  @org.junit.jupiter.api.AfterAll
  static void everyFaultStruckSomewhere() {
    // A fault that never struck proves nothing: each must have hit some run of the suite, and the
    // rare recovery paths they lead to must have been reached.
    List<String> expected =
        List.of(
            "vertex-crash", "worker-crash", "fs-write-failure", "fs-flush-failure", "fs-read-failure",
            "torn-write", "restart-delay", "message-delay", "message-duplication", "message-reorder",
            "message-loss", "network-partition", "crash lost an unpersisted tail", "regenerate",
            "read stalled by a partition", "snapshot written", "snapshot found at a start");
    for (String probe : expected) {
      org.junit.jupiter.api.Assertions.assertTrue(
          STRUCK.getOrDefault(probe, 0L) > 0, probe + " never struck; struck: " + STRUCK);
    }
  }

  @TempDir static Path output;

  private static PCollection<KV<String, Long>> events(Pipeline p, String name, long n, long stepMs) {
    return p.apply(name, GenerateSequence.from(0).to(n))
        .apply(name + "/Time", WithTimestamps.of((Long i) -> new Instant(i * stepMs)))
        .apply(
            name + "/Key",
            MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.longs()))
                .via((Long i) -> KV.of("k" + (i % 7), i)));
  }

  /** Buffers each key's values and emits their count at the end of the window. */
  private static final class BufferUntilWindowEnd extends DoFn<KV<String, Long>, KV<String, Long>> {
    @StateId("buffer")
    private final StateSpec<BagState<Long>> bufferSpec = StateSpecs.bag(VarLongCoder.of());

    @TimerId("end")
    private final TimerSpec endSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    @ProcessElement
    public void process(
        @Element KV<String, Long> element,
        @StateId("buffer") BagState<Long> buffer,
        @TimerId("end") Timer end,
        org.apache.beam.sdk.transforms.windowing.BoundedWindow window) {
      buffer.add(element.getValue());
      end.set(window.maxTimestamp());
    }

    @OnTimer("end")
    public void onEnd(
        @Key String key, @StateId("buffer") BagState<Long> buffer, OutputReceiver<KV<String, Long>> out) {
      long count = 0;
      for (Long ignored : buffer.read()) {
        count++;
      }
      out.output(KV.of(key, count));
      buffer.clear();
    }
  }

  private static final class Scale extends DoFn<KV<String, Long>, KV<String, Long>> {
    private final PCollectionView<Long> total;

    Scale(PCollectionView<Long> total) {
      this.total = total;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      c.output(KV.of(c.element().getKey(), c.element().getValue() * 1000 / c.sideInput(total)));
    }
  }

  /** How the job recovers: a recovery strategy, and the rStream persistence it runs on. */
  private static final List<String> RECOVERY =
      List.of(
          "--recoveryStrategy=hybrid --rstreamPersistence=hybrid",
          "--recoveryStrategy=persistent",
          "--recoveryStrategy=checkpoint-replay",
          "--recoveryStrategy=recompute --rstreamPersistence=hybrid",
          "--recoveryStrategy=recompute --rstreamPersistence=memory-only");

  static Stream<Arguments> scenarios() {
    return pipelines().flatMap(
        pipeline -> RECOVERY.stream().map(r -> Arguments.of(pipeline.get()[0], r, pipeline.get()[1])));
  }

  static Stream<Arguments> pipelines() {
    List<Arguments> all =
        List.of(
            Arguments.of("keyedWindowedCounts", (Consumer<Pipeline>) p ->
                events(p, "Events", 5_000, 3)
                    .apply(Window.into(FixedWindows.of(Duration.standardSeconds(1))))
                    .apply(Count.perKey())),
            Arguments.of("triggersWithLateness", (Consumer<Pipeline>) p ->
                events(p, "Events", 4_000, 5)
                    .apply(
                        Window.<KV<String, Long>>into(SlidingWindows.of(Duration.standardSeconds(2)).every(Duration.standardSeconds(1)))
                            .triggering(AfterWatermark.pastEndOfWindow()
                                .withEarlyFirings(AfterPane.elementCountAtLeast(100))
                                .withLateFirings(AfterPane.elementCountAtLeast(1)))
                            .withAllowedLateness(Duration.standardMinutes(1))
                            .accumulatingFiredPanes())
                    .apply(Sum.longsPerKey())),
            Arguments.of("statefulDoFnWithTimers", (Consumer<Pipeline>) p ->
                events(p, "Events", 3_000, 4)
                    .apply(Window.into(FixedWindows.of(Duration.standardSeconds(2))))
                    .apply(ParDo.of(new BufferUntilWindowEnd()))),
            Arguments.of("coGroupByKey", (Consumer<Pipeline>) p -> {
              TupleTag<Long> left = new TupleTag<>();
              TupleTag<Long> right = new TupleTag<>();
              KeyedPCollectionTuple.of(left, events(p, "Left", 2_000, 1))
                  .and(right, events(p, "Right", 1_500, 2))
                  .apply(CoGroupByKey.create())
                  .apply(MapElements.into(TypeDescriptors.strings())
                      .via((KV<String, CoGbkResult> kv) -> kv.getKey() + ":"
                          + kv.getValue().getAll(left).spliterator().estimateSize()));
            }),
            Arguments.of("sideInputs", (Consumer<Pipeline>) p -> {
              PCollection<KV<String, Long>> events = events(p, "Events", 3_000, 1);
              PCollectionView<Long> total =
                  events.apply(MapElements.into(TypeDescriptors.longs()).via(KV::getValue))
                      .apply(Sum.longsGlobally()).apply(View.asSingleton());
              events.apply(ParDo.of(new Scale(total)).withSideInputs(total)).apply(Sum.longsPerKey());
            }),
            Arguments.of("flatten", (Consumer<Pipeline>) p ->
                PCollectionList.of(events(p, "A", 1_000, 1)).and(events(p, "B", 2_000, 2))
                    .and(events(p, "C", 500, 3))
                    .apply(Flatten.pCollections())
                    .apply(Count.perKey())),
            Arguments.of("streamingSource", (Consumer<Pipeline>) p ->
                p.apply(Read.from(
                        org.apache.beam.sdk.io.CountingSource.unboundedWithTimestampFn(i -> new Instant(i * 2)))
                        .withMaxNumRecords(3_000))
                    .apply(Window.into(FixedWindows.of(Duration.millis(500))))
                    .apply(MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.longs()))
                        .via((Long i) -> KV.of("k" + (i % 3), i)))
                    .setCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()))
                    .apply(Sum.longsPerKey())),
            Arguments.of("fileSink", (Consumer<Pipeline>) p ->
                events(p, "Events", 2_000, 1)
                    .apply(Count.perKey())
                    .apply(MapElements.into(TypeDescriptors.strings()).via((KV<String, Long> kv) -> kv.getKey() + "=" + kv.getValue()))
                    .apply(TextIO.write().to(output.resolve("counts").toString()).withNumShards(2))));
    return all.stream();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("scenarios")
  void everySeedPassesEveryChecker(String name, String recovery, Consumer<Pipeline> build)
      throws Exception {
    Files.createDirectories(output);
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "--runner=StreamScopeSimulation", "--parallelism=3", "--faults=all",
                "--seeds=" + SEEDS, "--maxBundleSize=200"));
    args.addAll(List.of(recovery.split(" ")));
    Pipeline p =
        Pipeline.create(PipelineOptionsFactory.fromArgs(args.toArray(new String[0])).create());
    build.accept(p);
    SimulationResult result = (SimulationResult) p.run();
    assertEquals(SEEDS + " passed, 0 failed", result.report().summary(), name + " " + recovery);
    result.report().probeTotals().forEach((probe, count) -> STRUCK.merge(probe, count, Long::sum));
    if (name.equals("fileSink")) {
      assertFileSinkOutput();
    }
  }

  /**
   * The files on the disk (the reference run's, written once at the end; every seed's were
   * compared with them in memory) hold exactly the counts, computed here independently.
   */
  private static void assertFileSinkOutput() throws Exception {
    java.util.Map<String, Long> expected = new java.util.TreeMap<>();
    for (long i = 0; i < 2_000; i++) {
      expected.merge("k" + (i % 7), 1L, Long::sum);
    }
    List<String> lines = new java.util.ArrayList<>();
    try (Stream<Path> files = Files.list(output)) {
      for (Path file : files.filter(f -> f.getFileName().toString().startsWith("counts-")).toList()) {
        lines.addAll(Files.readAllLines(file));
      }
    }
    java.util.Collections.sort(lines);
    List<String> expectedLines = new java.util.ArrayList<>();
    expected.forEach((key, count) -> expectedLines.add(key + "=" + count));
    assertEquals(expectedLines, lines);
  }
}
