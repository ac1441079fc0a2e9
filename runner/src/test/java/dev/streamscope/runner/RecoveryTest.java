package dev.streamscope.runner;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.WithTimestamps;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

/** Kills a vertex of a running keyed windowed job for real and checks the exact output. */
class RecoveryTest {
  private static final long EVENTS = 20_000;
  /** A pipeline whose Gate will hold; the gate is fresh. */
  private static Pipeline gatedPipeline(String... args) {
    KillGate.reset();
    return Pipeline.create(PipelineOptionsFactory.fromArgs(args).create());
  }

  /** Once the gate holds, kills the first vertex matching {@code victim}, then opens the gate. */
  private static void killWhileGated(StreamScopePipelineResult result, Predicate<String> victim)
      throws InterruptedException {
    KillGate.awaitHeld();
    String vertex =
        result.vertexIds().stream()
            .filter(victim)
            .findFirst()
            .orElseThrow(() -> new AssertionError("no such vertex in " + result.vertexIds()));
    result.killVertex(vertex);
    KillGate.open();
  }

  @Test
  void aKilledVertexIsRecomputedAndTheOutputIsExact() throws Exception {
    Pipeline p = gatedPipeline("--runner=StreamScope", "--parallelism=2", "--recoveryStrategy=recompute");
    PCollection<KV<Long, Long>> sums =
        p.apply(GenerateSequence.from(0).to(EVENTS))
            .apply(WithTimestamps.of((Long i) -> new Instant(i)))
            .apply(
                MapElements.into(TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.longs()))
                    .via((Long i) -> KV.of(i % 7, i)))
            .apply(ParDo.of(KillGate.atValue(EVENTS / 2)))
            .apply(Window.into(FixedWindows.of(Duration.standardSeconds(5))))
            .apply(Sum.longsPerKey());
    List<KV<Long, Long>> expected = new ArrayList<>();
    long[][] bySlot = new long[(int) (EVENTS / 5_000)][7];
    for (long i = 0; i < EVENTS; i++) {
      bySlot[(int) (i / 5_000)][(int) (i % 7)] += i;
    }
    for (long[] window : bySlot) {
      for (int key = 0; key < 7; key++) {
        expected.add(KV.of((long) key, window[key]));
      }
    }
    PAssert.that(sums).containsInAnyOrder(expected);

    StreamScopePipelineResult result = (StreamScopePipelineResult) p.run();
    killWhileGated(result, id -> id.contains("Sum.PerKey") || id.contains("Combine.perKey"));
    assertEquals(PipelineResult.State.DONE, result.waitUntilFinish());
    assertEquals(1, result.restarts());
    long failures = 0;
    long successes = 0;
    for (MetricResult<Long> counter :
        result
            .metrics()
            .queryMetrics(MetricsFilter.builder().addNameFilter(MetricNameFilter.inNamespace(PAssert.class)).build())
            .getCounters()) {
      if (counter.getName().getName().equals(PAssert.FAILURE_COUNTER)) {
        failures += counter.getAttempted();
      } else if (counter.getName().getName().equals(PAssert.SUCCESS_COUNTER)) {
        successes += counter.getAttempted();
      }
    }
    assertEquals(0, failures);
    assertTrue(successes >= 1, "the assertion ran");
  }

  /** Counts the elements that pass. */
  private static final class CountElements extends DoFn<KV<Long, Long>, KV<Long, Long>> {
    @ProcessElement
    public void process(@Element KV<Long, Long> element, OutputReceiver<KV<Long, Long>> out) {
      org.apache.beam.sdk.metrics.Metrics.counter(RecoveryTest.class, "elements").inc();
      out.output(element);
    }
  }

  private static MetricResult<Long> elementsCounter(StreamScopePipelineResult result) {
    return result
        .metrics()
        .queryMetrics(
            MetricsFilter.builder()
                .addNameFilter(MetricNameFilter.named(RecoveryTest.class, "elements"))
                .build())
        .getCounters()
        .iterator()
        .next();
  }

  /**
   * A recomputed vertex redoes its work from zero: committed metrics count each element once,
   * attempted ones also what the killed instance had done.
   */
  @Test
  void aRecomputedVertexCommitsItsMetricsOnce() throws Exception {
    Pipeline p =
        gatedPipeline("--runner=StreamScope", "--parallelism=1", "--recoveryStrategy=recompute");
    p.apply(GenerateSequence.from(0).to(EVENTS))
        .apply(
            MapElements.into(TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.longs()))
                .via((Long i) -> KV.of(i % 7, i)))
        .apply(ParDo.of(KillGate.atValue(EVENTS / 2)))
        .apply("Spread", org.apache.beam.sdk.transforms.Reshuffle.of())
        .apply("Count", ParDo.of(new CountElements()));
    StreamScopePipelineResult result = (StreamScopePipelineResult) p.run();
    KillGate.awaitHeld();
    await()
        .atMost(java.time.Duration.ofSeconds(60))
        .until(() -> elementsCounter(result).getAttempted() > 0);
    result.killVertex("Spread#0");
    KillGate.open();
    assertEquals(PipelineResult.State.DONE, result.waitUntilFinish());
    assertEquals(1, result.restarts());
    MetricResult<Long> counted = elementsCounter(result);
    assertEquals(EVENTS, counted.getCommitted());
    assertTrue(
        counted.getAttempted() > EVENTS, "the killed instance's work is attempted: " + counted);
  }

  private static final java.util.concurrent.atomic.AtomicLong ATTEMPTS =
      new java.util.concurrent.atomic.AtomicLong();

  /** Not a function of its input: every instance tags its output with a new attempt number. */
  private static final class TagWithAttempt extends DoFn<KV<Long, Long>, KV<Long, Long>> {
    private long attempt;

    @Setup
    public void setup() {
      attempt = ATTEMPTS.incrementAndGet();
    }

    @ProcessElement
    public void process(@Element KV<Long, Long> element, OutputReceiver<KV<Long, Long>> out) {
      out.output(KV.of(element.getKey(), element.getValue() * 1_000 + attempt));
    }
  }

  @Test
  void aReplayThatDiffersFailsTheJobNamingStreamSeqAndBothValues() throws Exception {
    Pipeline p = gatedPipeline("--runner=StreamScope", "--parallelism=1", "--recoveryStrategy=recompute");
    p.apply(GenerateSequence.from(0).to(EVENTS))
        .apply(
            MapElements.into(TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.longs()))
                .via((Long i) -> KV.of(i % 7, i)))
        .apply(ParDo.of(KillGate.atValue(EVENTS / 2)))
        .apply("Reshuffle", org.apache.beam.sdk.transforms.Reshuffle.of())
        .apply("Tag", ParDo.of(new TagWithAttempt()))
        .apply(org.apache.beam.sdk.transforms.GroupByKey.create());
    StreamScopePipelineResult result = (StreamScopePipelineResult) p.run();
    KillGate.awaitHeld();
    // Killed once it consumed input: its turn ends with a publish, then the kill lands, so its
    // replay rewrites seqs that already hold values.
    await()
        .atMost(java.time.Duration.ofSeconds(30))
        .until(() -> result.consumedEvents("Reshuffle#0") > 0);
    killWhileGated(result, id -> id.startsWith("Reshuffle"));
    Pipeline.PipelineExecutionException error =
        org.junit.jupiter.api.Assertions.assertThrows(
            Pipeline.PipelineExecutionException.class, result::waitUntilFinish);
    String message = error.getCause().getMessage();
    assertTrue(message.contains("Determinism violation"), message);
    // The first rewrite found to differ: seq 0 if it is still in memory, else (its check reading
    // the segments off the writer's thread) maybe a later one still in memory is found first.
    java.util.regex.Matcher seq = java.util.regex.Pattern.compile("at seq (\\d+) ").matcher(message);
    assertTrue(message.contains("Reshuffle#0") && seq.find(), message);
    String event = "data#" + seq.group(1) + "(";
    assertTrue(message.contains("it holds " + event) && message.contains("now " + event), message);
    assertTrue(message.contains("mark it so (the runner's --nondeterministicSteps)"), message);
  }

  @Test
  void withoutRecoveryAKilledVertexFailsTheJobNamingIt() throws Exception {
    Pipeline p = gatedPipeline("--runner=StreamScope", "--parallelism=2", "--maxVertexRestarts=0");
    p.apply(GenerateSequence.from(0).to(EVENTS))
        .apply(
            MapElements.into(TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.longs()))
                .via((Long i) -> KV.of(i % 7, i)))
        .apply(ParDo.of(KillGate.atValue(EVENTS / 2)))
        .apply(Sum.longsPerKey());
    StreamScopePipelineResult result = (StreamScopePipelineResult) p.run();
    killWhileGated(result, id -> id.contains("Sum"));
    Pipeline.PipelineExecutionException error =
        org.junit.jupiter.api.Assertions.assertThrows(
            Pipeline.PipelineExecutionException.class, result::waitUntilFinish);
    assertTrue(error.getMessage().contains("was killed"), error.getMessage());
    await().atMost(java.time.Duration.ofSeconds(30)).until(() -> result.getState() == PipelineResult.State.FAILED);
  }
}
