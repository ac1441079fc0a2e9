package dev.streamscope.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.GroupIntoBatches;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Nondeterministic steps killed for real in the middle of a job (the gate pattern of {@link
 * RecoveryStrategiesTest}): WriteFiles, which names its temporary files with random UUIDs (found
 * by the translation), and a DoFn drawing random numbers (named by the user). Their vertices expose
 * their outputs only once a snapshot holds them, so their replacements never contradict what was
 * seen: the job succeeds with exact output, under recompute too (where nondeterministic stages
 * still snapshot). Unnamed, the random DoFn's replay fails the job as a determinism violation.
 */
class NondeterministicStepsTest {
  private static final long EVENTS = 20_000;

  @TempDir Path temp;

  /** Not a function of its input: each element goes to a random one of ten keys. */
  private static final class RandomKey extends DoFn<Long, KV<Long, Long>> {
    private transient Random random;

    @Setup
    public void setup() {
      random = new Random();
    }

    @ProcessElement
    public void process(@Element Long element, OutputReceiver<KV<Long, Long>> out) {
      out.output(KV.of((long) random.nextInt(10), element));
    }
  }

  /** Numbers through the gate, then spread over the partitions of the stage under test. */
  private static PCollection<Long> spread(Pipeline p) {
    return p.apply("Numbers", GenerateSequence.from(0).to(EVENTS))
        .apply("Gate", ParDo.of(KillGate.atNumber(EVENTS / 2)))
        .apply("Spread", Reshuffle.viaRandomKey());
  }

  private static Pipeline pipeline(String... args) {
    KillGate.reset();
    List<String> all = new ArrayList<>(List.of("--runner=TestStreamScope", "--parallelism=2"));
    all.addAll(List.of(args));
    return Pipeline.create(PipelineOptionsFactory.fromArgs(all.toArray(new String[0])).create());
  }

  /** Partition 0 of the stage whose first step is under {@code Spread}. */
  private static String victim(StreamScopePipelineResult result) {
    return result.vertexIds().stream()
        .filter(id -> id.startsWith("Spread") && id.endsWith("#0"))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no Spread vertex in " + result.vertexIds()));
  }

  /**
   * Runs {@code p} (through the plain runner: TestStreamScopeRunner would wait for the end), kills
   * partition 0 of stage {@code Spread} once the gate holds and the vertex has exposed output (a snapshot
   * holding its outputs was written, if {@code committed}; else it consumed input, and its turn
   * ends with a publish before the kill lands), then opens the gate.
   */
  private static StreamScopePipelineResult runAndKillSpread(Pipeline p, boolean committed)
      throws InterruptedException {
    StreamScopePipelineResult result = StreamScopeRunner.fromOptions(p.getOptions()).run(p);
    try {
      KillGate.awaitHeld();
      String victim = victim(result);

      Awaitility.await()
          .atMost(java.time.Duration.ofSeconds(30))
          .until(
              () ->
                  committed
                      ? result.writtenSnapshotVersion(victim) > 0
                      : result.consumedEvents(victim) > 0);
      result.killVertex(victim);
    } finally {
      KillGate.open();
    }
    return result;
  }

  @ParameterizedTest
  @ValueSource(strings = {"recompute", "hybrid"})
  void aKilledFileWriterLeavesExactlyTheExpectedLines(String strategy) throws Exception {
    Pipeline p = pipeline("--recoveryStrategy=" + strategy);
    String prefix = temp.resolve("out").toString();
    // The unsharded writer (random temporary file names) is fused into the Spread stage.
    spread(p)
        .apply("Format", MapElements.into(TypeDescriptors.strings()).via((Long i) -> "line " + i))
        .apply("Write", TextIO.write().to(prefix));
    StreamScopePipelineResult result = runAndKillSpread(p, true);
    assertEquals(PipelineResult.State.DONE, result.waitUntilFinish());
    assertEquals(1, result.restarts());
    assertTrue(result.restoredSnapshotVersion(victim(result)) > 0, "the writer restored its snapshot");

    List<String> lines = new ArrayList<>();
    try (Stream<Path> files = Files.list(temp)) {
      for (Path file : files.filter(f -> f.getFileName().toString().startsWith("out-")).toList()) {
        lines.addAll(Files.readAllLines(file));
      }
    }
    List<String> expected = new ArrayList<>();
    for (long i = 0; i < EVENTS; i++) {
      expected.add("line " + i);
    }
    lines.sort(null);
    expected.sort(null);
    assertEquals(expected, lines);
  }

  /**
   * Random keys, grouped by key (the grouped elements cross a shuffle as they are made: no partial
   * combine holds them in the random stage), then counted and summed: whatever the keys, each
   * element must be counted exactly once.
   */
  private static void countRandomlyKeyed(Pipeline p) {
    countGroups(
        spread(p).apply("Randomize", ParDo.of(new RandomKey())).apply("Group", GroupByKey.create()));
  }

  /** Counts and sums the elements of {@code groups}: each of 0..EVENTS-1 must be there once. */
  private static void countGroups(PCollection<KV<Long, Iterable<Long>>> groups) {
    PCollection<Long> sizes = groups.apply("Sizes", perGroup(element -> 1L));
    PCollection<Long> sums = groups.apply("Sums", perGroup(element -> element));
    PAssert.thatSingleton(sizes.apply("Count", Sum.longsGlobally())).isEqualTo(EVENTS);
    PAssert.thatSingleton(sums.apply("Total", Sum.longsGlobally()))
        .isEqualTo(EVENTS * (EVENTS - 1) / 2);
  }

  /** The sum of {@code term} over each group's elements. */
  private static MapElements<KV<Long, Iterable<Long>>, Long> perGroup(
      SerializableFunction<Long, Long> term) {
    return MapElements.into(TypeDescriptors.longs())
        .via(
            (KV<Long, Iterable<Long>> group) -> {
              long sum = 0;
              for (long element : group.getValue()) {
                sum += term.apply(element);
              }
              return sum;
            });
  }

  @ParameterizedTest
  @ValueSource(strings = {"recompute", "hybrid"})
  void aKilledRandomDoFnNamedNondeterministicIsCountedOnce(String strategy) throws Exception {
    Pipeline p = pipeline("--recoveryStrategy=" + strategy, "--nondeterministicSteps=Randomize");
    countRandomlyKeyed(p);
    StreamScopePipelineResult result = runAndKillSpread(p, true);
    assertEquals(PipelineResult.State.DONE, result.waitUntilFinish());
    assertEquals(1, result.restarts());
    assertTrue(result.restoredSnapshotVersion(victim(result)) > 0, "the victim restored its snapshot");
    assertEquals(0, TestStreamScopeRunner.counter(result, PAssert.FAILURE_COUNTER));
    assertEquals(2, TestStreamScopeRunner.counter(result, PAssert.SUCCESS_COUNTER));
  }

  /**
   * GroupIntoBatches flushes a key's batch when it is full or when a processing-time timer fires:
   * on the wall clock, where its batches end depends on timing, so the translation marks it. Its
   * vertex is killed mid-job; whatever the batches, each element is counted once.
   */
  @ParameterizedTest
  @ValueSource(strings = {"recompute", "hybrid"})
  void aKilledProcessingTimeBatcherCountsEachElementOnce(String strategy) throws Exception {
    Pipeline p = pipeline("--recoveryStrategy=" + strategy);
    PCollection<KV<Long, Iterable<Long>>> batches =
        p.apply("Numbers", GenerateSequence.from(0).to(EVENTS))
            .apply("Gate", ParDo.of(KillGate.atNumber(EVENTS / 2)))
            .apply(
                "Key",
                MapElements.into(TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.longs()))
                    .via((Long i) -> KV.of(i % 7, i)))
            .apply(
                "Spread",
                GroupIntoBatches.<Long, Long>ofSize(100)
                    .withMaxBufferingDuration(org.joda.time.Duration.millis(5)));
    // Counted in a stage of their own: the batches leave the batcher's stage as they are made.
    countGroups(batches.apply("Regroup", Reshuffle.viaRandomKey()));
    StreamScopePipelineResult result = runAndKillSpread(p, true);
    assertEquals(PipelineResult.State.DONE, result.waitUntilFinish());
    assertEquals(1, result.restarts());
    assertTrue(result.restoredSnapshotVersion(victim(result)) > 0, "the victim restored its snapshot");
    assertEquals(0, TestStreamScopeRunner.counter(result, PAssert.FAILURE_COUNTER));
    assertEquals(2, TestStreamScopeRunner.counter(result, PAssert.SUCCESS_COUNTER));
  }

  @org.junit.jupiter.api.Test
  void unnamedTheRandomDoFnsReplayFailsTheJobNamingItsStage() throws Exception {
    Pipeline p = pipeline("--recoveryStrategy=recompute");
    countRandomlyKeyed(p);
    StreamScopePipelineResult result = runAndKillSpread(p, false);
    Pipeline.PipelineExecutionException error =
        assertThrows(Pipeline.PipelineExecutionException.class, result::waitUntilFinish);
    String message = error.getCause().getMessage();
    assertTrue(message.contains("Determinism violation"), message);
    assertTrue(message.contains("(producer Spread#0)"), message);
    assertTrue(message.contains("A replay of stage Spread wrote another value"), message);
    assertTrue(message.contains("--nondeterministicSteps"), message);
  }
}
