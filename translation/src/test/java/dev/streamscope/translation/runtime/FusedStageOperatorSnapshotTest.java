package dev.streamscope.translation.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamscope.translation.PipelineTranslator;
import dev.streamscope.translation.TranslatedJob;
import dev.streamscope.translation.runtime.JobDriver.Plan;
import dev.streamscope.translation.runtime.JobDriver.Trace;
import dev.streamscope.vertex.Operator;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.beam.runners.core.metrics.MetricsContainerStepMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.io.range.OffsetRange;
import org.apache.beam.sdk.metrics.MetricName;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.CombiningState;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.MultimapState;
import org.apache.beam.sdk.state.OrderedListState;
import org.apache.beam.sdk.state.SetState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.testing.CrashingRunner;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.transforms.splittabledofn.RestrictionTracker;
import org.apache.beam.sdk.transforms.windowing.AfterPane;
import org.apache.beam.sdk.transforms.windowing.AfterProcessingTime;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * Snapshots of translated stages: for real pipelines (translated by the real translator, driven
 * as the vertex host drives them by {@link JobDriver}), every vertex's output and watermarks with
 * a snapshot taken after every bundle, and with a fresh operator restored from a mid-run snapshot
 * after a later crash, are byte for byte those of a plain run. Where a test names the vertex whose
 * state matters, it also checks that restarting it without its snapshot gives a different output,
 * so the snapshot was not trivially empty.
 */
class FusedStageOperatorSnapshotTest {
  private static Pipeline pipeline() {
    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(CrashingRunner.class);
    return Pipeline.create(options);
  }

  private static TranslatedJob translate(Pipeline pipeline, int parallelism) {
    return PipelineTranslator.translate(pipeline, parallelism);
  }

  private static void assertSameTrace(Trace expected, Trace actual, String what) {
    assertEquals(expected.outputs(), actual.outputs(), what + ": outputs");
    assertEquals(expected.bundles(), actual.bundles(), what + ": watermarks and timers per bundle");
  }

  /**
   * For every vertex: a rerun is the same (the driver is deterministic), snapshots after every
   * bundle change nothing, and a restore from the middle, crashing two bundles later, continues
   * exactly. Returns the driver, whose last {@link JobDriver#runAll} was the plain run.
   */
  private static Checked checkEveryVertex(TranslatedJob job, int elementsPerBundle)
      throws Exception {
    JobDriver driver = new JobDriver(job, elementsPerBundle);
    Map<String, Trace> plain = driver.runAll(Map.of());
    for (Map.Entry<String, Trace> vertex : plain.entrySet()) {
      String id = vertex.getKey();
      Trace expected = vertex.getValue();
      assertSameTrace(expected, driver.rerun(id, Plan.plain()), id + " rerun");
      assertSameTrace(
          expected, driver.rerun(id, Plan.snapshotEverywhere()), id + " with snapshots");
      int bundles = expected.bundleCount();
      if (bundles >= 2) {
        int k = bundles / 2;
        Trace restored = driver.rerun(id, Plan.restore(k, Math.min(bundles - 1, k + 2)));
        assertTrue(restored.restored(), id + " was restored");
        assertSameTrace(expected, restored, id + " restored after bundle " + k);
      }
      if (bundles >= 4) {
        int k = bundles / 3;
        Trace twice = driver.rerun(id, Plan.restoreTwice(k, k + 1, k + 1, bundles - 2));
        assertTrue(twice.restored(), id + " was restored twice");
        assertSameTrace(expected, twice, id + " restored after bundle " + k + " and again");
      }
    }
    return new Checked(driver, plain);
  }

  private record Checked(JobDriver driver, Map<String, Trace> plain) {
    /** The one vertex whose id contains {@code part} (partition {@code partition}). */
    String vertex(String part, int partition) {
      List<String> matches = new ArrayList<>();
      for (String id : plain.keySet()) {
        if (id.contains(part) && id.endsWith("#" + partition)) {
          matches.add(id);
        }
      }
      assertEquals(1, matches.size(), "vertices matching " + part + ": " + plain.keySet());
      return matches.get(0);
    }

    /**
     * Restarting {@code vertex} after some bundle without its snapshot changes its output: the
     * snapshot there held something the rest of the run needs, and restoring it there is exact.
     */
    void assertStateMatters(String vertex) throws Exception {
      Trace expected = plain.get(vertex);
      for (int k = 1; k < expected.bundleCount(); k++) {
        Trace forgetful = driver.rerun(vertex, Plan.forgetAt(k));
        assertTrue(forgetful.restored());
        if (!forgetful.sameAs(expected)) {
          assertSameTrace(
              expected, driver.rerun(vertex, Plan.restore(k, k)), vertex + " restored at " + k);
          return;
        }
      }
      throw new AssertionError(
          vertex + ": restarting without a snapshot changes nothing at any of its "
              + expected.bundleCount() + " bundles");
    }

    /**
     * Restores at every bundle boundary, crashing 0 to 2 bundles later, and for about half of
     * them snapshotting the restored operator right after its first bundle and restoring again
     * (seeded).
     */
    void assertRestoresAtEveryBoundary(String vertex, long seed) throws Exception {
      Random random = new Random(seed);
      Trace expected = plain.get(vertex);
      int bundles = expected.bundleCount();
      for (int k = 0; k < bundles; k++) {
        int m = Math.min(bundles - 1, k + random.nextInt(3));
        boolean twice = k + 1 < bundles && random.nextBoolean();
        Plan plan =
            twice
                ? Plan.restoreTwice(k, m, k + 1, Math.min(bundles - 1, k + 1 + random.nextInt(3)))
                : Plan.restore(k, m);
        String what = vertex + " snapshot " + k + " crash " + m + (twice ? " and again" : "");
        Trace restored = driver.rerun(vertex, plan);
        assertTrue(restored.restored(), what);
        assertSameTrace(expected, restored, what);
      }
    }
  }

  // --- Pipelines ---

  /**
   * Makes {@code collection} leave its stage (a redistribution consumes it), so what its stage
   * computes shows in the stage's output; a stage's last result is otherwise not written anywhere.
   */
  private static <T> void observe(PCollection<T> collection) {
    collection.apply("Observe", Reshuffle.viaRandomKey());
  }

  private static List<TimestampedValue<KV<String, Integer>>> keyedEvents(int count, long seed) {
    Random random = new Random(seed);
    List<TimestampedValue<KV<String, Integer>>> events = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String key = "k" + random.nextInt(5);
      long millis = random.nextInt(60_000);
      events.add(TimestampedValue.of(KV.of(key, i), new Instant(millis)));
    }
    return events;
  }

  private static PCollection<KV<String, Integer>> keyedInput(Pipeline p, int count, long seed) {
    return p.apply(
        "Input" + seed,
        Create.timestamped(keyedEvents(count, seed))
            .withCoder(KvCoder.of(StringUtf8Coder.of(), VarIntCoder.of())));
  }

  /** A keyed windowed count with early (processing-time), on-time and late firings. */
  @Test
  void groupByKeyWithTriggersAndLatenessOnProcessingTime() throws Exception {
    Pipeline p = pipeline();
    keyedInput(p, 60, 1)
        .apply(
            Window.<KV<String, Integer>>into(FixedWindows.of(Duration.standardSeconds(10)))
                .triggering(
                    AfterWatermark.pastEndOfWindow()
                        .withEarlyFirings(
                            AfterProcessingTime.pastFirstElementInPane()
                                .plusDelayOf(Duration.millis(3 * JobDriver.CLOCK_STEP_MILLIS)))
                        .withLateFirings(AfterPane.elementCountAtLeast(1)))
                .withAllowedLateness(Duration.standardMinutes(1))
                .accumulatingFiredPanes())
        .apply(Count.perKey())
        .apply("Observe", Reshuffle.viaRandomKey());
    Checked checked = checkEveryVertex(translate(p, 2), 4);
    String groupByKey = checked.vertex("GroupByKey", 0);
    List<String> bundles = checked.plain().get(groupByKey).bundles();
    assertTrue(
        bundles.stream().anyMatch(b -> !b.endsWith(" " + Long.MAX_VALUE)),
        "processing-time timers were set: " + bundles);
    checked.assertStateMatters(groupByKey);
    checked.assertRestoresAtEveryBoundary(groupByKey, 11);
  }

  /**
   * Every kind of user state and both timer domains; each output lists the states as read, so
   * contents and iteration order both show.
   */
  private static final class AllStates extends DoFn<KV<String, Integer>, String> {
    @StateId("value")
    private final StateSpec<ValueState<Integer>> valueSpec = StateSpecs.value(VarIntCoder.of());

    @StateId("bag")
    private final StateSpec<BagState<Integer>> bagSpec = StateSpecs.bag(VarIntCoder.of());

    @StateId("sum")
    private final StateSpec<CombiningState<Integer, int[], Integer>> sumSpec =
        StateSpecs.combining(Sum.ofIntegers());

    @StateId("map")
    private final StateSpec<MapState<String, Integer>> mapSpec =
        StateSpecs.map(StringUtf8Coder.of(), VarIntCoder.of());

    @StateId("set")
    private final StateSpec<SetState<Integer>> setSpec = StateSpecs.set(VarIntCoder.of());

    @StateId("list")
    private final StateSpec<OrderedListState<Integer>> listSpec =
        StateSpecs.orderedList(VarIntCoder.of());

    @StateId("multimap")
    private final StateSpec<MultimapState<Integer, String>> multimapSpec =
        StateSpecs.multimap(VarIntCoder.of(), StringUtf8Coder.of());

    @TimerId("event")
    private final TimerSpec eventSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    @TimerId("processing")
    private final TimerSpec processingSpec = TimerSpecs.timer(TimeDomain.PROCESSING_TIME);

    @ProcessElement
    public void process(
        @Element KV<String, Integer> element,
        @Timestamp Instant timestamp,
        BoundedWindow window,
        @StateId("value") ValueState<Integer> value,
        @StateId("bag") BagState<Integer> bag,
        @StateId("sum") CombiningState<Integer, int[], Integer> sum,
        @StateId("map") MapState<String, Integer> map,
        @StateId("set") SetState<Integer> set,
        @StateId("list") OrderedListState<Integer> list,
        @StateId("multimap") MultimapState<Integer, String> multimap,
        @TimerId("event") Timer event,
        @TimerId("processing") Timer processing,
        OutputReceiver<String> out) {
      int v = element.getValue();
      value.write(v);
      bag.add(v);
      sum.add(v);
      map.put("m" + (v * 7 % 11), v);
      set.add(v * 13 % 17);
      if (v % 4 == 0) {
        set.remove((v + 13) * 13 % 17);
        map.remove("m" + ((v + 7) * 7 % 11));
      }
      list.add(TimestampedValue.of(v, timestamp));
      multimap.put(v % 3, "x" + v);
      Instant fire = timestamp.plus(Duration.millis(500));
      event.set(fire.isAfter(window.maxTimestamp()) ? window.maxTimestamp() : fire);
      processing.offset(Duration.millis(2 * JobDriver.CLOCK_STEP_MILLIS)).setRelative();
      out.output(
          "element " + element + " " + describe(value, bag, sum, map, set, list, multimap));
    }

    @OnTimer("event")
    public void onEvent(
        OnTimerContext context,
        @Key String key,
        @StateId("value") ValueState<Integer> value,
        @StateId("bag") BagState<Integer> bag,
        @StateId("sum") CombiningState<Integer, int[], Integer> sum,
        @StateId("map") MapState<String, Integer> map,
        @StateId("set") SetState<Integer> set,
        @StateId("list") OrderedListState<Integer> list,
        @StateId("multimap") MultimapState<Integer, String> multimap,
        OutputReceiver<String> out) {
      out.output(
          "event " + key + "@" + context.timestamp() + " "
              + describe(value, bag, sum, map, set, list, multimap));
      bag.clear();
      list.clearRange(BoundedWindow.TIMESTAMP_MIN_VALUE, context.timestamp());
    }

    @OnTimer("processing")
    public void onProcessing(
        @Key String key,
        @StateId("value") ValueState<Integer> value,
        @StateId("bag") BagState<Integer> bag,
        @StateId("sum") CombiningState<Integer, int[], Integer> sum,
        @StateId("map") MapState<String, Integer> map,
        @StateId("set") SetState<Integer> set,
        @StateId("list") OrderedListState<Integer> list,
        @StateId("multimap") MultimapState<Integer, String> multimap,
        OutputReceiver<String> out) {
      out.output(
          "processing " + key + " " + describe(value, bag, sum, map, set, list, multimap));
      multimap.remove(1);
    }

    private static String describe(
        ValueState<Integer> value,
        BagState<Integer> bag,
        CombiningState<Integer, int[], Integer> sum,
        MapState<String, Integer> map,
        SetState<Integer> set,
        OrderedListState<Integer> list,
        MultimapState<Integer, String> multimap) {
      return "value=" + value.read()
          + " bag=" + bag.read()
          + " sum=" + sum.read()
          + " map=" + map.entries().read()
          + " set=" + set.read()
          + " list=" + list.read()
          + " multimap=" + multimap.entries().read();
    }
  }

  @Test
  void statefulDoFnWithEveryKindOfStateAndTimersRestoresAtEveryBundleBoundary() throws Exception {
    Pipeline p = pipeline();
    keyedInput(p, 40, 2)
        .apply(Window.into(FixedWindows.of(Duration.standardSeconds(20))))
        .apply("AllStates", ParDo.of(new AllStates()))
        .apply("Observe", Reshuffle.viaRandomKey());
    Checked checked = checkEveryVertex(translate(p, 2), 3);
    for (int partition = 0; partition < 2; partition++) {
      String stateful = checked.vertex("AllStates", partition);
      checked.assertStateMatters(stateful);
      checked.assertRestoresAtEveryBoundary(stateful, 21 + partition);
    }
  }

  @Test
  void coGroupByKeyOfTwoInputs() throws Exception {
    Pipeline p = pipeline();
    TupleTag<Integer> left = new TupleTag<>();
    TupleTag<Integer> right = new TupleTag<>();
    Window<KV<String, Integer>> windows = Window.into(FixedWindows.of(Duration.standardSeconds(15)));
    PCollection<KV<String, Integer>> a = keyedInput(p, 30, 3).apply("WindowA", windows);
    PCollection<KV<String, Integer>> b = keyedInput(p, 25, 4).apply("WindowB", windows);
    observe(KeyedPCollectionTuple.of(left, a)
        .and(right, b)
        .apply(CoGroupByKey.create())
        .apply(
            "Render",
            MapElements.into(TypeDescriptors.strings())
                .via(
                    (KV<String, CoGbkResult> joined) ->
                        joined.getKey()
                            + " "
                            + joined.getValue().getAll(left)
                            + " "
                            + joined.getValue().getAll(right))));
    Checked checked = checkEveryVertex(translate(p, 2), 3);
    String join = checked.vertex("CoGroupByKey/GBK", 1);
    checked.assertStateMatters(join);
  }

  private static final class WithSide extends DoFn<KV<String, Integer>, String> {
    private final PCollectionView<Iterable<Integer>> side;

    WithSide(PCollectionView<Iterable<Integer>> side) {
      this.side = side;
    }

    @ProcessElement
    public void process(ProcessContext context) {
      context.output(context.element() + " " + context.sideInput(side));
    }
  }

  /** Main-input elements wait for a windowed side input until its watermark passes them. */
  @Test
  void sideInputsWithPushedBackElements() throws Exception {
    Pipeline p = pipeline();
    PCollectionView<Iterable<Integer>> side =
        keyedInput(p, 20, 5)
            .apply("SideWindow", Window.into(FixedWindows.of(Duration.standardSeconds(30))))
            .apply("SideValues", MapElements.into(TypeDescriptors.integers()).via(KV::getValue))
            .apply(View.asIterable());
    keyedInput(p, 30, 6)
        .apply("MainWindow", Window.into(FixedWindows.of(Duration.standardSeconds(30))))
        .apply("WithSide", ParDo.of(new WithSide(side)).withSideInputs(side))
        .apply("Observe", Reshuffle.viaRandomKey());
    Checked checked = checkEveryVertex(translate(p, 2), 3);
    String withSide = checked.vertex("WithSide", 0);
    checked.assertStateMatters(withSide);
    checked.assertRestoresAtEveryBoundary(withSide, 61);
  }

  private static final class StatefulWithSide extends DoFn<KV<String, Integer>, String> {
    @StateId("seen")
    private final StateSpec<BagState<Integer>> seenSpec = StateSpecs.bag(VarIntCoder.of());

    private final PCollectionView<Iterable<Integer>> side;

    StatefulWithSide(PCollectionView<Iterable<Integer>> side) {
      this.side = side;
    }

    @ProcessElement
    public void process(ProcessContext context, @StateId("seen") BagState<Integer> seen) {
      seen.add(context.element().getValue());
      context.output(context.element() + " " + context.sideInput(side) + " " + seen.read());
    }
  }

  /** A stateful ParDo's elements wait for side inputs too, next to its keyed state. */
  @Test
  void statefulParDoWithSideInputs() throws Exception {
    Pipeline p = pipeline();
    PCollectionView<Iterable<Integer>> side =
        keyedInput(p, 15, 12)
            .apply("SideWindow", Window.into(FixedWindows.of(Duration.standardSeconds(30))))
            .apply("SideValues", MapElements.into(TypeDescriptors.integers()).via(KV::getValue))
            .apply(View.asIterable());
    keyedInput(p, 30, 13)
        .apply("MainWindow", Window.into(FixedWindows.of(Duration.standardSeconds(30))))
        .apply("StatefulWithSide", ParDo.of(new StatefulWithSide(side)).withSideInputs(side))
        .apply("Observe", Reshuffle.viaRandomKey());
    Checked checked = checkEveryVertex(translate(p, 2), 3);
    String stateful = checked.vertex("StatefulWithSide", 1);
    checked.assertStateMatters(stateful);
    checked.assertRestoresAtEveryBoundary(stateful, 130);
  }

  /** Lifted Combine.perKey: partial accumulators held across bundles, then on-time panes. */
  @Test
  void combinePerKeyWithOnlyOnTimePanes() throws Exception {
    Pipeline p = pipeline();
    keyedInput(p, 50, 7)
        .apply(Window.into(FixedWindows.of(Duration.standardSeconds(10))))
        .apply("Sum", Sum.integersPerKey())
        .apply("Observe", Reshuffle.viaRandomKey());
    Checked checked = checkEveryVertex(translate(p, 2), 4);
    // The partial combine is fused into the source's stage: it holds accumulators between
    // bundles, until the end of input moves the watermark.
    String partial = checked.vertex("Input7", 0);
    checked.assertStateMatters(partial);
    checked.assertRestoresAtEveryBoundary(partial, 70);
    String combine = checked.vertex("Sum", 0);
    checked.assertStateMatters(combine);
    checked.assertRestoresAtEveryBoundary(combine, 71);
  }

  /**
   * A GroupByKey with the default trigger (OnTimePanesStep) on bounded input: every value is held
   * across bundles until the end of input fires all windows.
   */
  @Test
  void groupByKeyWithOnlyOnTimePanesHoldsValuesUntilTheEnd() throws Exception {
    Pipeline p = pipeline();
    keyedInput(p, 50, 9)
        .apply(Window.into(FixedWindows.of(Duration.standardSeconds(10))))
        .apply("Grouping", GroupByKey.create())
        .apply("Observe", Reshuffle.viaRandomKey());
    Checked checked = checkEveryVertex(translate(p, 2), 4);
    for (int partition = 0; partition < 2; partition++) {
      String grouping = checked.vertex("Grouping", partition);
      checked.assertStateMatters(grouping);
      checked.assertRestoresAtEveryBoundary(grouping, 75 + partition);
    }
  }

  /**
   * A GroupByKey with the default trigger as the watermark moves: windows fire mid-run, so a
   * restored step must hold the open ones, hold the watermark at the earliest, and drop late
   * values of the fired ones.
   */
  @Test
  void groupByKeyWithOnlyOnTimePanesAsTheWatermarkMoves() throws Exception {
    Pipeline p = pipeline();
    List<Long> timestamps = timestamps(40);
    timestamps.add(20, 2_000L); // Late by then: its window has fired.
    p.apply("Unbounded", Read.from(new ListUnboundedSource(timestamps, true)))
        .apply(
            MapElements.into(TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.longs()))
                .via(v -> KV.of(v % 3, v)))
        .apply(Window.into(FixedWindows.of(Duration.standardSeconds(5))))
        .apply("Grouping", GroupByKey.create())
        .apply("Observe", Reshuffle.viaRandomKey());
    Checked checked = checkEveryVertex(translate(p, 2), 2);
    for (int partition = 0; partition < 2; partition++) {
      String grouping = checked.vertex("Grouping", partition);
      Trace plain = checked.plain().get(grouping);
      assertTrue(
          plain.bundles().stream().anyMatch(b -> !b.contains("watermarks -9223372036854775808")),
          "the output watermark moved before the end: " + plain.bundles());
      checked.assertStateMatters(grouping);
      checked.assertRestoresAtEveryBoundary(grouping, 77 + partition);
    }
  }

  /** Lifted Combine.perKey with allowed lateness: panes merge accumulators in a GroupByKey. */
  @Test
  void combinePerKeyWithAllowedLateness() throws Exception {
    Pipeline p = pipeline();
    keyedInput(p, 50, 8)
        .apply(
            Window.<KV<String, Integer>>into(FixedWindows.of(Duration.standardSeconds(10)))
                .withAllowedLateness(Duration.standardSeconds(30))
                .discardingFiredPanes())
        .apply("Sum", Sum.integersPerKey())
        .apply("Observe", Reshuffle.viaRandomKey());
    Checked checked = checkEveryVertex(translate(p, 2), 4);
    String combine = checked.vertex("Sum", 0);
    checked.assertStateMatters(combine);
  }

  /** A bounded source restored mid-split: re-opened and read past what it emitted. */
  @Test
  void boundedSourceRestoresMidSplit() throws Exception {
    Pipeline p = pipeline();
    observe(p.apply("Numbers", GenerateSequence.from(0).to(40)));
    Checked checked = checkEveryVertex(translate(p, 2), 3);
    for (int partition = 0; partition < 2; partition++) {
      String source = checked.vertex("Numbers", partition);
      checked.assertStateMatters(source);
      checked.assertRestoresAtEveryBoundary(source, 80 + partition);
    }
  }

  private static List<Long> timestamps(int count) {
    List<Long> values = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      values.add(1_000L * i + (i % 3) * 100);
    }
    return values;
  }

  /** An unbounded source stopped mid-way resumes from its readers' checkpoint marks. */
  @Test
  void unboundedSourceRestoresFromCheckpointMarks() throws Exception {
    Pipeline p = pipeline();
    observe(
        p.apply("Unbounded", Read.from(new ListUnboundedSource(timestamps(30), true)))
            .apply(Window.into(FixedWindows.of(Duration.standardSeconds(5))))
            .apply(Count.perElement()));
    Checked checked = checkEveryVertex(translate(p, 2), 2);
    for (int partition = 0; partition < 2; partition++) {
      String source = checked.vertex("Unbounded", partition);
      checked.assertStateMatters(source);
      checked.assertRestoresAtEveryBoundary(source, 90 + partition);
    }
  }

  /**
   * Watermark holds of a GroupByKey outlive bundles when panes take their earliest element's
   * timestamp: the output watermark stays there while the input watermark moves through the
   * window. A restored step must hold it from the first bundle on.
   */
  @Test
  void groupByKeyWatermarkHoldsSurviveARestore() throws Exception {
    Pipeline p = pipeline();
    observe(
        p.apply("Unbounded", Read.from(new ListUnboundedSource(timestamps(40), true)))
            .apply(
                Window.<Long>into(FixedWindows.of(Duration.standardSeconds(10)))
                    .withTimestampCombiner(TimestampCombiner.EARLIEST))
            .apply(Count.perElement()));
    Checked checked = checkEveryVertex(translate(p, 2), 2);
    for (int partition = 0; partition < 2; partition++) {
      String groupByKey = checked.vertex("GroupByKey", partition);
      Trace plain = checked.plain().get(groupByKey);
      assertTrue(
          plain.bundles().stream().anyMatch(b -> !b.contains("watermarks -9223372036854775808")),
          "the output watermark moved before the end: " + plain.bundles());
      checked.assertStateMatters(groupByKey);
      checked.assertRestoresAtEveryBoundary(groupByKey, 95 + partition);
    }
  }

  /** A bounded read of an unbounded source (a record budget) resumes from its marks too. */
  @Test
  void limitedUnboundedSourceRestoresFromCheckpointMarks() throws Exception {
    Pipeline p = pipeline();
    observe(
        p.apply(
            "Limited",
            Read.from(new ListUnboundedSource(timestamps(40), true)).withMaxNumRecords(25)));
    Checked checked = checkEveryVertex(translate(p, 2), 3);
    String source = checked.vertex("Limited", 0);
    checked.assertStateMatters(source);
    checked.assertRestoresAtEveryBoundary(source, 100);
  }

  /** Without a checkpoint-mark coder a source cannot be saved: its stage says so, and why. */
  @Test
  void aSourceWithoutCheckpointMarkCoderRefusesSnapshots() throws Exception {
    Pipeline p = pipeline();
    observe(p.apply("NoMarks", Read.from(new ListUnboundedSource(timestamps(5), false))));
    TranslatedJob job = translate(p, 1);
    Operator operator = job.graph().stages().get(0).operatorFactory().apply(0);
    assertFalse(operator.snapshotsSupported());
    UnsupportedOperationException refused =
        assertThrows(
            UnsupportedOperationException.class,
            () -> operator.snapshotState(1, new DataOutputStream(new ByteArrayOutputStream())));
    assertTrue(refused.getMessage().contains("checkpoint-mark coder"), refused.getMessage());
    assertTrue(refused.getMessage().contains("NoMarks"), refused.getMessage());
    Operator other = job.graph().stages().get(1).operatorFactory().apply(0);
    assertTrue(other.snapshotsSupported());
  }

  /**
   * A TestStream drives logical processing time: its position, the watermark and processing
   * time it set, and a windowed count with early, on-time and late panes downstream.
   */
  @Test
  void testStreamWithLogicalProcessingTime() throws Exception {
    TestStream<KV<String, Integer>> events =
        TestStream.create(KvCoder.of(StringUtf8Coder.of(), VarIntCoder.of()))
            .addElements(
                TimestampedValue.of(KV.of("a", 1), new Instant(1_000)),
                TimestampedValue.of(KV.of("b", 2), new Instant(2_000)))
            .advanceProcessingTime(Duration.standardSeconds(20))
            .addElements(TimestampedValue.of(KV.of("a", 3), new Instant(3_000)))
            .advanceWatermarkTo(new Instant(12_000))
            .addElements(
                TimestampedValue.of(KV.of("a", 4), new Instant(4_000)),
                TimestampedValue.of(KV.of("c", 5), new Instant(13_000)))
            .advanceProcessingTime(Duration.standardSeconds(20))
            .addElements(TimestampedValue.of(KV.of("c", 6), new Instant(14_000)))
            .advanceWatermarkTo(new Instant(25_000))
            .addElements(TimestampedValue.of(KV.of("b", 7), new Instant(5_000)))
            .advanceWatermarkToInfinity();
    Pipeline p = pipeline();
    p.apply("Script", events)
        .apply(
            Window.<KV<String, Integer>>into(FixedWindows.of(Duration.standardSeconds(10)))
                .triggering(
                    AfterWatermark.pastEndOfWindow()
                        .withEarlyFirings(
                            AfterProcessingTime.pastFirstElementInPane()
                                .plusDelayOf(Duration.standardSeconds(10)))
                        .withLateFirings(AfterPane.elementCountAtLeast(1)))
                .withAllowedLateness(Duration.standardMinutes(1))
                .accumulatingFiredPanes())
        .apply(Count.perKey())
        .apply("Observe", Reshuffle.viaRandomKey());
    Checked checked = checkEveryVertex(translate(p, 2), 1);
    String script = checked.vertex("Script", 0);
    checked.assertStateMatters(script);
    checked.assertRestoresAtEveryBoundary(script, 110);
    for (int partition = 0; partition < 2; partition++) {
      String groupByKey = checked.vertex("GroupByKey", partition);
      checked.assertRestoresAtEveryBoundary(groupByKey, 111 + partition);
    }
  }

  /** A splittable DoFn that checkpoints itself every three outputs. */
  @DoFn.BoundedPerElement
  private static final class CountTo extends DoFn<Integer, String> {
    @GetInitialRestriction
    public OffsetRange initial(@Element Integer n) {
      return new OffsetRange(0, n);
    }

    @ProcessElement
    public ProcessContinuation process(
        @Element Integer n,
        RestrictionTracker<OffsetRange, Long> tracker,
        OutputReceiver<String> out) {
      long from = tracker.currentRestriction().getFrom();
      for (long i = from; i < from + 3; i++) {
        if (!tracker.tryClaim(i)) {
          return ProcessContinuation.stop();
        }
        out.output(n + ":" + i);
      }
      return ProcessContinuation.resume();
    }
  }

  /** Residual restrictions wait in state for a processing-time timer; restored mid-restriction. */
  @Test
  void splittableDoFnRestoresMidRestriction() throws Exception {
    Pipeline p = pipeline();
    observe(p.apply("Sizes", Create.of(7, 11, 5, 9)).apply("CountTo", ParDo.of(new CountTo())));
    Checked checked = checkEveryVertex(translate(p, 2), 1);
    for (int partition = 0; partition < 2; partition++) {
      String splittable = checked.vertex("CountTo/ParMultiDo", partition);
      checked.assertStateMatters(splittable);
      checked.assertRestoresAtEveryBoundary(splittable, 120 + partition);
    }
  }

  /** Reports a counter, a distribution, a gauge and a string set per element. */
  private static final class Measure extends DoFn<KV<String, Integer>, Integer> {
    @ProcessElement
    public void process(@Element KV<String, Integer> element, OutputReceiver<Integer> out) {
      Metrics.counter("snapshot", "elements").inc();
      Metrics.distribution("snapshot", "values").update(element.getValue());
      Metrics.gauge("snapshot", "last").set(element.getValue());
      Metrics.stringSet("snapshot", "keys").add(element.getKey());
      out.output(element.getValue());
    }
  }

  private static Pipeline measuredPipeline() {
    Pipeline p = pipeline();
    observe(
        keyedInput(p, 30, 9)
            .apply("Spread", Reshuffle.viaRandomKey())
            .apply("Measure", ParDo.of(new Measure())));
    return p;
  }

  private static MetricQueryResults metrics(TranslatedJob job) {
    return MetricsContainerStepMap.asMetricResults(job.attemptedMetrics(), job.committedMetrics())
        .allMetrics();
  }

  private static <T> MetricResult<T> only(Iterable<MetricResult<T>> results, String name) {
    List<MetricResult<T>> matching = new ArrayList<>();
    for (MetricResult<T> result : results) {
      if (result.getName().equals(MetricName.named("snapshot", name))) {
        matching.add(result);
      }
    }
    assertEquals(1, matching.size(), name + " in " + results);
    return matching.get(0);
  }

  /**
   * A vertex restored from a snapshot (crashing later) commits each element's metrics once: the
   * restored instance starts from the snapshot's committed values; its replayed work counts again
   * as attempted only. A vertex restarted from an empty snapshot redoes everything from zero.
   */
  @Test
  void committedMetricsCountTheWorkOnceAcrossARestore() throws Exception {
    TranslatedJob reference = translate(measuredPipeline(), 1);
    Map<String, Trace> plain = new JobDriver(reference, 3).runAll(Map.of());
    MetricQueryResults expected = metrics(reference);
    MetricResult<Long> expectedCount = only(expected.getCounters(), "elements");
    assertEquals(30L, expectedCount.getCommitted());
    assertEquals(30L, expectedCount.getAttempted());
    int bundles = plain.get("Spread#0").bundleCount();
    assertTrue(bundles > 8, "Spread#0 has " + bundles + " bundles");

    for (Plan plan : List.of(Plan.restore(3, 7), Plan.restore(0, 5))) {
      TranslatedJob job = translate(measuredPipeline(), 1);
      Map<String, Trace> traces = new JobDriver(job, 3).runAll(Map.of("Spread#0", plan));
      assertTrue(traces.get("Spread#0").restored());
      assertSameTrace(plain.get("Spread#0"), traces.get("Spread#0"), "Spread#0 with " + plan);
      MetricQueryResults actual = metrics(job);
      MetricResult<Long> count = only(actual.getCounters(), "elements");
      assertEquals(30L, count.getCommitted(), "committed count with " + plan);
      assertTrue(count.getAttempted() > 30L, "redone work is attempted again: " + count);
      assertEquals(
          only(expected.getDistributions(), "values").getCommitted(),
          only(actual.getDistributions(), "values").getCommitted());
      assertEquals(
          only(expected.getGauges(), "last").getCommitted().getValue(),
          only(actual.getGauges(), "last").getCommitted().getValue());
      assertEquals(
          only(expected.getStringSets(), "keys").getCommitted().getStringSet(),
          only(actual.getStringSets(), "keys").getCommitted().getStringSet());
    }
  }
}
