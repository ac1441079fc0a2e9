package dev.streamscope.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.KvCoder;
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
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.WithTimestamps;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.awaitility.Awaitility;
import org.joda.time.Instant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every recovery strategy x four kinds of state (a keyed windowed combine, a windowed GroupByKey,
 * a stateful DoFn with event-time timers, a CoGroupByKey): the vertex holding the state is killed for real in the middle
 * of the job, and the output is exactly that of a run without failure. Under the checkpoint
 * strategies the kill waits until the victim wrote a snapshot, and the replacement must have
 * restored it (not started from scratch).
 */
class RecoveryStrategiesTest {
  private static final long EVENTS = 20_000;
  private static final long WINDOW_MS = 5_000;
  /** Sums per key and window in a ValueState; an event-time timer at the window's end emits it. */
  private static final class StatefulSum extends DoFn<KV<Long, Long>, KV<Long, Long>> {
    @StateId("sum")
    private final StateSpec<ValueState<Long>> sumSpec = StateSpecs.value(VarLongCoder.of());

    @StateId("key")
    private final StateSpec<ValueState<Long>> keySpec = StateSpecs.value(VarLongCoder.of());

    @TimerId("end")
    private final TimerSpec endSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    @ProcessElement
    public void process(
        @Element KV<Long, Long> element,
        BoundedWindow window,
        @StateId("sum") ValueState<Long> sum,
        @StateId("key") ValueState<Long> key,
        @TimerId("end") Timer end) {
      Long current = sum.read();
      sum.write((current == null ? 0 : current) + element.getValue());
      key.write(element.getKey());
      end.set(window.maxTimestamp());
    }

    @OnTimer("end")
    public void onEnd(
        @StateId("sum") ValueState<Long> sum,
        @StateId("key") ValueState<Long> key,
        OutputReceiver<KV<Long, Long>> out) {
      out.output(KV.of(key.read(), sum.read()));
    }
  }

  enum Shape {
    WINDOWED_SUM("SumPerKey"),
    WINDOWED_GROUP("Group"),
    STATEFUL_TIMERS("StatefulSum"),
    CO_GROUP_BY_KEY("Join/GBK");

    final String victimStep;

    Shape(String victimStep) {
      this.victimStep = victimStep;
    }
  }

  static Stream<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    for (String strategy : List.of("recompute", "checkpoint-replay", "persistent", "hybrid")) {
      for (Shape shape : Shape.values()) {
        cases.add(Arguments.of(strategy, shape));
      }
    }
    return cases.stream();
  }

  private static PCollection<KV<Long, Long>> keyed(Pipeline p, String name, long offset) {
    return p.apply(name, GenerateSequence.from(0).to(EVENTS))
        .apply(name + "Time", WithTimestamps.of((Long i) -> new Instant(i)))
        .apply(
            name + "Key",
            MapElements.into(TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.longs()))
                .via((Long i) -> KV.of(i % 7, i + offset)))
        .apply(name + "Windows", Window.into(FixedWindows.of(org.joda.time.Duration.millis(WINDOW_MS))));
  }

  /** Per (window, key): the sum of {@code i + offset} over the window's i with i % 7 == key. */
  private static List<KV<Long, Long>> expectedSums(long offset) {
    long[][] sums = new long[(int) (EVENTS / WINDOW_MS)][7];
    for (long i = 0; i < EVENTS; i++) {
      sums[(int) (i / WINDOW_MS)][(int) (i % 7)] += i + offset;
    }
    List<KV<Long, Long>> expected = new ArrayList<>();
    for (long[] window : sums) {
      for (int key = 0; key < 7; key++) {
        expected.add(KV.of((long) key, window[key]));
      }
    }
    return expected;
  }

  private static void build(Pipeline p, Shape shape) {
    PCollection<KV<Long, Long>> gated = keyed(p, "Numbers", 0).apply("Gate", ParDo.of(KillGate.atValue(EVENTS / 2)));
    switch (shape) {
      case WINDOWED_SUM:
        PAssert.that(gated.apply("SumPerKey", Sum.longsPerKey())).containsInAnyOrder(expectedSums(0));
        break;
      case WINDOWED_GROUP:
        PAssert.that(
                gated
                    .apply("Group", org.apache.beam.sdk.transforms.GroupByKey.create())
                    .apply(
                        "Add",
                        MapElements.into(TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.longs()))
                            .via(
                                (KV<Long, Iterable<Long>> kv) -> {
                                  long sum = 0;
                                  for (long v : kv.getValue()) {
                                    sum += v;
                                  }
                                  return KV.of(kv.getKey(), sum);
                                })))
            .containsInAnyOrder(expectedSums(0));
        break;
      case STATEFUL_TIMERS:
        PAssert.that(gated.apply("StatefulSum", ParDo.of(new StatefulSum())))
            .containsInAnyOrder(expectedSums(0));
        break;
      case CO_GROUP_BY_KEY:
        TupleTag<Long> left = new TupleTag<>();
        TupleTag<Long> right = new TupleTag<>();
        PCollection<KV<Long, CoGbkResult>> joined =
            KeyedPCollectionTuple.of(left, gated)
                .and(right, keyed(p, "Others", 1_000_000))
                .apply("Join", CoGroupByKey.create());
        PCollection<KV<Long, Long>> sums =
            joined
                .apply(
                    "Total",
                    MapElements.into(TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.longs()))
                        .via(
                            (KV<Long, CoGbkResult> kv) -> {
                              long total = 0;
                              for (Long v : kv.getValue().getAll(left)) {
                                total += v;
                              }
                              for (Long v : kv.getValue().getAll(right)) {
                                total += v;
                              }
                              return KV.of(kv.getKey(), total);
                            }))
                .setCoder(KvCoder.of(VarLongCoder.of(), VarLongCoder.of()));
        List<KV<Long, Long>> expected = new ArrayList<>();
        List<KV<Long, Long>> a = expectedSums(0);
        List<KV<Long, Long>> b = expectedSums(1_000_000);
        for (int i = 0; i < a.size(); i++) {
          expected.add(KV.of(a.get(i).getKey(), a.get(i).getValue() + b.get(i).getValue()));
        }
        PAssert.that(sums).containsInAnyOrder(expected);
        break;
      default:
        throw new IllegalArgumentException(shape.name());
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void aKilledStatefulVertexRecoversAndTheOutputIsExact(String strategy, Shape shape) throws Exception {
    KillGate.reset();
    Pipeline p =
        Pipeline.create(
            PipelineOptionsFactory.fromArgs(
                    "--runner=TestStreamScope",
                    "--parallelism=2",
                    "--recoveryStrategy=" + strategy,
                    "--checkpointIntervalMs=5")
                .create());
    build(p, shape);
    // TestStreamScopeRunner waits for the end; run the job through the plain runner instead.
    StreamScopePipelineResult result =
        StreamScopeRunner.fromOptions(p.getOptions()).run(p);
    try {
      KillGate.awaitHeld();
      String victim =
          result.vertexIds().stream()
              .filter(id -> id.contains(shape.victimStep))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no " + shape.victimStep + " in " + result.vertexIds()));
      boolean snapshots = !strategy.equals("recompute");
      if (snapshots) {
        Awaitility.await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> result.writtenSnapshotVersion(victim) > 0);
      }
      result.killVertex(victim);
      KillGate.open();
      assertEquals(PipelineResult.State.DONE, result.waitUntilFinish());
      assertEquals(1, result.restarts());
      if (snapshots) {
        assertTrue(result.restoredSnapshotVersion(victim) > 0, victim + " restored its snapshot");
      } else {
        assertEquals(0, result.restoredSnapshotVersion(victim), "recompute starts from scratch");
      }
      assertEquals(0, TestStreamScopeRunner.counter(result, PAssert.FAILURE_COUNTER));
      assertEquals(
          org.apache.beam.sdk.testing.PAssert.countAsserts(p),
          TestStreamScopeRunner.counter(result, PAssert.SUCCESS_COUNTER),
          "every assertion passed once (committed metrics count no replay twice)");
    } finally {
      KillGate.open();
    }
  }
}
