package dev.streamscope.conformance;

import static dev.streamscope.conformance.Formats.describe;
import static dev.streamscope.conformance.Formats.describeWithoutLastFlag;
import static dev.streamscope.conformance.Formats.sorted;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.CountingSource;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Distinct;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.FlatMapElements;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.Latest;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.Top;
import org.apache.beam.sdk.transforms.Values;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.WithTimestamps;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.transforms.windowing.AfterPane;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.DefaultTrigger;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.Repeatedly;
import org.apache.beam.sdk.transforms.windowing.Sessions;
import org.apache.beam.sdk.transforms.windowing.SlidingWindows;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * The catalogue of differential test pipelines. Every scenario is deterministic: its formatted
 * output depends only on Beam's semantics, never on bundling, parallelism or timing.
 */
public final class Scenarios {
  private Scenarios() {}

  static final KvCoder<String, Integer> KV_STRING_INT =
      KvCoder.of(StringUtf8Coder.of(), VarIntCoder.of());

  static final Duration ONE_SECOND = Duration.standardSeconds(1);

  /** Every scenario, in catalogue order. */
  public static List<Scenario> all() {
    return List.of(
        Scenario.of("wordCount", Scenarios::wordCount),
        Scenario.of("groupByKeyGlobalWindow", Scenarios::groupByKeyGlobalWindow),
        Scenario.of("fixedWindowsCountPerKey", Scenarios::fixedWindowsCountPerKey),
        Scenario.of("outOfOrderTimestampsFixedWindows", Scenarios::outOfOrderTimestampsFixedWindows),
        Scenario.of("slidingWindowsSum", Scenarios::slidingWindowsSum),
        Scenario.of("sessionsGroupByKey", Scenarios::sessionsGroupByKey),
        Scenario.of("sessionsSum", Scenarios::sessionsSum),
        Scenario.of("timestampCombinerEarliest", Scenarios::timestampCombinerEarliest),
        Scenario.of("watermarkTriggerWithLateFirings", Scenarios::watermarkTriggerWithLateFirings),
        Scenario.of(
            "repeatedWatermarkTriggerDiscarding", Scenarios::repeatedWatermarkTriggerDiscarding),
        Scenario.of(
            "elementCountTriggerDiscardingTotals", Scenarios::elementCountTriggerDiscardingTotals),
        Scenario.of(
            "elementCountTriggerAccumulatingMax", Scenarios::elementCountTriggerAccumulatingMax),
        Scenario.of("coGroupByKey", Scenarios::coGroupByKey),
        Scenario.of("sideInputSingleton", Scenarios::sideInputSingleton),
        Scenario.of("sideInputSingletonDefaultOnEmpty", Scenarios::sideInputSingletonDefaultOnEmpty),
        Scenario.of("sideInputIterable", Scenarios::sideInputIterable),
        Scenario.of("sideInputList", Scenarios::sideInputList),
        Scenario.of("sideInputMap", Scenarios::sideInputMap),
        Scenario.of("sideInputMultimap", Scenarios::sideInputMultimap),
        Scenario.of("windowedSideInputs", Scenarios::windowedSideInputs),
        Scenario.of("statefulBufferFlushAtEndOfWindow", Scenarios::statefulBufferFlushAtEndOfWindow),
        Scenario.of(
            "statefulTimerOutputFeedsAggregation", Scenarios::statefulTimerOutputFeedsAggregation),
        Scenario.of("combinePerKeyCustomMean", Scenarios::combinePerKeyCustomMean),
        Scenario.of("combineGloballyCustomMean", Scenarios::combineGloballyCustomMean),
        Scenario.of("hotKeySum", p -> hotKeySum(p, 0)),
        Scenario.of("hotKeySumWithFanout", p -> hotKeySum(p, 8)),
        Scenario.of("flattenFiveInputs", Scenarios::flattenFiveInputs),
        Scenario.of("flattenSameInputTwiceAndEmpty", Scenarios::flattenSameInputTwiceAndEmpty),
        Scenario.expectingNoOutput("emptyInput", Scenarios::emptyInput),
        Scenario.of("emptyInputGlobalCount", Scenarios::emptyInputGlobalCount),
        Scenario.of("multiOutputParDo", Scenarios::multiOutputParDo),
        Scenario.of("unboundedSourceBoundedRead", Scenarios::unboundedSourceBoundedRead),
        Scenario.of("reshuffle", Scenarios::reshuffle),
        Scenario.of("distinct", Scenarios::distinct),
        Scenario.of("topPerKey", Scenarios::topPerKey),
        Scenario.of("latestPerKey", Scenarios::latestPerKey),
        Scenario.of("largeKeyedCount200k", Scenarios::largeKeyedCount200k));
  }

  // ---------------------------------------------------------------------------------------------
  // Data

  static final List<String> LINES =
      List.of(
          "the quick brown fox jumps over the lazy dog",
          "the dog barks and the fox runs",
          "a stream is a river of events",
          "events flow and windows close",
          "",
          "the end of the stream is the end of time");

  /**
   * {@code n} events over {@code keys} keys ({@code k0}, {@code k1}, ...), value {@code i}, at
   * pseudo-random (seeded) event times in {@code [0, spanMillis)}, in shuffled order.
   */
  static List<TimestampedValue<KV<String, Integer>>> events(
      int n, int keys, long spanMillis, long seed) {
    Random random = new Random(seed);
    List<TimestampedValue<KV<String, Integer>>> events = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String key = "k" + random.nextInt(keys);
      long ts = (long) (random.nextDouble() * spanMillis);
      events.add(TimestampedValue.of(KV.of(key, i), new Instant(ts)));
    }
    return events;
  }

  static PCollection<KV<String, Integer>> timestampedEvents(
      Pipeline p, String name, int n, int keys, long spanMillis, long seed) {
    return p.apply(name, Create.timestamped(events(n, keys, spanMillis, seed)).withCoder(KV_STRING_INT));
  }

  static PCollection<KV<String, Integer>> keyedInts(Pipeline p, String name, int n, int keys) {
    List<KV<String, Integer>> values = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      values.add(KV.of("k" + ((i * 31 + 7) % keys), i));
    }
    return p.apply(name, Create.of(values).withCoder(KV_STRING_INT));
  }

  static String kv(KV<?, ?> kv) {
    return "key=" + kv.getKey() + " value=" + kv.getValue();
  }

  // ---------------------------------------------------------------------------------------------
  // 1. Word count and plain grouping

  static PCollection<String> wordCount(Pipeline p) {
    return p.apply("Lines", Create.of(LINES))
        .apply(
            "Split",
            FlatMapElements.into(TypeDescriptors.strings())
                .via((String line) -> Arrays.asList(line.split("[^a-z]+"))))
        .apply("NonEmpty", Filter.by((String w) -> !w.isEmpty()))
        .apply(Count.perElement())
        .apply(describe((KV<String, Long> kv) -> "word=" + kv.getKey() + " count=" + kv.getValue()));
  }

  static PCollection<String> groupByKeyGlobalWindow(Pipeline p) {
    return keyedInts(p, "Ints", 300, 11)
        .apply(GroupByKey.create())
        .apply(describe((KV<String, Iterable<Integer>> kv) ->
            "key=" + kv.getKey() + " values=" + sorted(kv.getValue())));
  }

  // ---------------------------------------------------------------------------------------------
  // 2-4. Windowing

  static PCollection<String> fixedWindowsCountPerKey(Pipeline p) {
    List<KV<String, Integer>> values = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      values.add(KV.of(i % 3 == 0 ? "a" : i % 3 == 1 ? "b" : "c", i));
    }
    return p.apply("Values", Create.of(values).withCoder(KV_STRING_INT))
        .apply(
            "EventTime",
            WithTimestamps.of((KV<String, Integer> kv) -> new Instant(kv.getValue() * 137L % 5000)))
        .apply(Window.into(FixedWindows.of(ONE_SECOND)))
        .apply(Count.perKey())
        .apply(describe((KV<String, Long> kv) -> "key=" + kv.getKey() + " count=" + kv.getValue()));
  }

  /** 3000 events in shuffled timestamp order: a runner must not treat any of them as late. */
  static PCollection<String> outOfOrderTimestampsFixedWindows(Pipeline p) {
    return timestampedEvents(p, "Events", 3000, 5, 10_000, 42)
        .apply(Window.into(FixedWindows.of(ONE_SECOND)))
        .apply(Count.perKey())
        .apply(describe((KV<String, Long> kv) -> "key=" + kv.getKey() + " count=" + kv.getValue()));
  }

  static PCollection<String> slidingWindowsSum(Pipeline p) {
    List<TimestampedValue<KV<String, Integer>>> values = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      values.add(TimestampedValue.of(KV.of(i % 2 == 0 ? "even" : "odd", i), new Instant(i * 100L)));
    }
    return p.apply("Values", Create.timestamped(values).withCoder(KV_STRING_INT))
        .apply(Window.into(SlidingWindows.of(ONE_SECOND).every(Duration.millis(250))))
        .apply(Sum.integersPerKey())
        .apply(describe(Scenarios::kv));
  }

  /** Sessions of a 1 s gap: keys with bursts separated by longer and shorter pauses. */
  static List<TimestampedValue<KV<String, Integer>>> sessionEvents() {
    long[] aTimes = {0, 300, 900, 1800, 5000, 5200, 9000};
    long[] bTimes = {100, 1200, 2300, 3400, 4500, 8000, 8999, 10_500};
    long[] cTimes = {7000};
    List<TimestampedValue<KV<String, Integer>>> events = new ArrayList<>();
    int v = 0;
    for (long t : aTimes) {
      events.add(TimestampedValue.of(KV.of("a", v++), new Instant(t)));
    }
    for (long t : bTimes) {
      events.add(TimestampedValue.of(KV.of("b", v++), new Instant(t)));
    }
    for (long t : cTimes) {
      events.add(TimestampedValue.of(KV.of("c", v++), new Instant(t)));
    }
    // Shuffle deterministically so that merging sees out-of-order arrivals.
    java.util.Collections.shuffle(events, new Random(7));
    return events;
  }

  static PCollection<String> sessionsGroupByKey(Pipeline p) {
    return p.apply("Events", Create.timestamped(sessionEvents()).withCoder(KV_STRING_INT))
        .apply(Window.into(Sessions.withGapDuration(ONE_SECOND)))
        .apply(GroupByKey.create())
        .apply(describe((KV<String, Iterable<Integer>> kv) ->
            "key=" + kv.getKey() + " values=" + sorted(kv.getValue())));
  }

  static PCollection<String> sessionsSum(Pipeline p) {
    return p.apply("Events", Create.timestamped(sessionEvents()).withCoder(KV_STRING_INT))
        .apply(Window.into(Sessions.withGapDuration(ONE_SECOND)))
        .apply(Sum.integersPerKey())
        .apply(describe(Scenarios::kv));
  }

  static PCollection<String> timestampCombinerEarliest(Pipeline p) {
    return timestampedEvents(p, "Events", 200, 3, 4000, 3)
        .apply(
            Window.<KV<String, Integer>>into(FixedWindows.of(ONE_SECOND))
                .withTimestampCombiner(TimestampCombiner.EARLIEST))
        .apply(GroupByKey.create())
        .apply(describe((KV<String, Iterable<Integer>> kv) ->
            "key=" + kv.getKey() + " values=" + sorted(kv.getValue())));
  }

  // ---------------------------------------------------------------------------------------------
  // 5. Triggers

  /** On bounded input nothing is late: one ON_TIME pane per window, never a late firing. */
  static PCollection<String> watermarkTriggerWithLateFirings(Pipeline p) {
    return timestampedEvents(p, "Events", 400, 4, 6000, 11)
        .apply(
            Window.<KV<String, Integer>>into(FixedWindows.of(ONE_SECOND))
                .triggering(
                    AfterWatermark.pastEndOfWindow()
                        .withLateFirings(AfterPane.elementCountAtLeast(1)))
                .withAllowedLateness(Duration.standardMinutes(10))
                .accumulatingFiredPanes())
        .apply(Count.perKey())
        .apply(describeWithoutLastFlag((KV<String, Long> kv) ->
            "key=" + kv.getKey() + " count=" + kv.getValue()));
  }

  static PCollection<String> repeatedWatermarkTriggerDiscarding(Pipeline p) {
    return timestampedEvents(p, "Events", 400, 4, 6000, 12)
        .apply(
            Window.<KV<String, Integer>>into(FixedWindows.of(ONE_SECOND))
                .triggering(Repeatedly.forever(AfterWatermark.pastEndOfWindow()))
                .withAllowedLateness(Duration.ZERO)
                .discardingFiredPanes())
        .apply(Sum.integersPerKey())
        .apply(describe(Scenarios::kv));
  }

  /**
   * A data-driven trigger in the global window. How many panes fire depends on bundling, so the
   * output is a bundling-independent summary of the panes of each key: the total of a key's
   * discarding panes is its element count, every EARLY pane holds at least 3 elements, at most one
   * pane is not EARLY, and pane indices are 0..n-1.
   */
  static PCollection<String> elementCountTriggerDiscardingTotals(Pipeline p) {
    return paneSummaries(p, false)
        .apply(describe((KV<String, Iterable<String>> kv) -> {
          long total = 0;
          boolean earlyAtLeast3 = true;
          int nonEarly = 0;
          List<Long> indices = new ArrayList<>();
          for (String pane : kv.getValue()) {
            String[] f = pane.split(":");
            long count = Long.parseLong(f[2]);
            total += count;
            indices.add(Long.parseLong(f[0]));
            if (f[1].equals("EARLY")) {
              earlyAtLeast3 &= count >= 3;
            } else {
              nonEarly++;
            }
          }
          indices.sort(null);
          boolean contiguous = true;
          for (int i = 0; i < indices.size(); i++) {
            contiguous &= indices.get(i) == i;
          }
          return "key=" + kv.getKey() + " total=" + total + " earlyPanesAtLeast3=" + earlyAtLeast3
              + " atMostOneNonEarlyPane=" + (nonEarly <= 1) + " indicesContiguous=" + contiguous;
        }));
  }

  /**
   * Like {@link #elementCountTriggerDiscardingTotals} but accumulating: ordered by pane index the
   * counts never decrease, and the largest is the key's element count.
   */
  static PCollection<String> elementCountTriggerAccumulatingMax(Pipeline p) {
    return paneSummaries(p, true)
        .apply(describe((KV<String, Iterable<String>> kv) -> {
          TreeMap<Long, Long> byIndex = new TreeMap<>();
          for (String pane : kv.getValue()) {
            String[] f = pane.split(":");
            byIndex.put(Long.parseLong(f[0]), Long.parseLong(f[2]));
          }
          long max = 0;
          long previous = -1;
          boolean monotonic = true;
          for (Map.Entry<Long, Long> e : byIndex.entrySet()) {
            monotonic &= e.getValue() >= previous;
            previous = e.getValue();
            max = Math.max(max, e.getValue());
          }
          return "key=" + kv.getKey() + " max=" + max + " nonDecreasing=" + monotonic;
        }));
  }

  /** Per key, {@code "index:timing:count"} of every pane of an element-count-triggered count. */
  static PCollection<KV<String, Iterable<String>>> paneSummaries(Pipeline p, boolean accumulating) {
    Window<KV<String, Integer>> triggered =
        Window.<KV<String, Integer>>into(new GlobalWindows())
            .triggering(Repeatedly.forever(AfterPane.elementCountAtLeast(3)))
            .withAllowedLateness(Duration.ZERO);
    triggered = accumulating ? triggered.accumulatingFiredPanes() : triggered.discardingFiredPanes();
    return keyedInts(p, "Ints", 100, 3)
        .apply("CountTrigger", triggered)
        .apply(Count.perKey())
        .apply("PaneOf", ParDo.of(new PaneSummaryFn()))
        .apply(
            "DefaultTrigger",
            Window.<KV<String, String>>into(new GlobalWindows())
                .triggering(DefaultTrigger.of())
                .withAllowedLateness(Duration.ZERO)
                .discardingFiredPanes())
        .apply(GroupByKey.create());
  }

  static final class PaneSummaryFn extends DoFn<KV<String, Long>, KV<String, String>> {
    @ProcessElement
    public void processElement(
        @Element KV<String, Long> kv, PaneInfo pane, OutputReceiver<KV<String, String>> out) {
      out.output(
          KV.of(kv.getKey(), pane.getIndex() + ":" + pane.getTiming() + ":" + kv.getValue()));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // 6. CoGroupByKey

  static PCollection<String> coGroupByKey(Pipeline p) {
    PCollection<KV<String, Integer>> orders =
        p.apply(
            "Orders",
            Create.of(
                    KV.of("alice", 3), KV.of("bob", 5), KV.of("alice", 7), KV.of("carol", 1),
                    KV.of("bob", 2), KV.of("alice", 3))
                .withCoder(KV_STRING_INT));
    PCollection<KV<String, String>> cities =
        p.apply(
            "Cities",
            Create.of(
                KV.of("alice", "paris"), KV.of("bob", "berlin"), KV.of("dave", "oslo"),
                KV.of("bob", "bonn")));
    TupleTag<Integer> ordersTag = new TupleTag<>();
    TupleTag<String> citiesTag = new TupleTag<>();
    return KeyedPCollectionTuple.of(ordersTag, orders)
        .and(citiesTag, cities)
        .apply(CoGroupByKey.create())
        .apply(describe((KV<String, CoGbkResult> kv) ->
            "key=" + kv.getKey()
                + " orders=" + sorted(kv.getValue().getAll(ordersTag))
                + " cities=" + sorted(kv.getValue().getAll(citiesTag))));
  }

  // ---------------------------------------------------------------------------------------------
  // 7-9. Side inputs

  static PCollection<Integer> oneToTwenty(Pipeline p, String name) {
    List<Integer> values = new ArrayList<>();
    for (int i = 1; i <= 20; i++) {
      values.add(i);
    }
    return p.apply(name, Create.of(values));
  }

  static PCollection<String> sideInputSingleton(Pipeline p) {
    PCollection<Integer> numbers = oneToTwenty(p, "Numbers");
    PCollectionView<Integer> total = numbers.apply(Sum.integersGlobally().asSingletonView());
    return numbers
        .apply(
            "Normalize",
            ParDo.of(
                    new DoFn<Integer, String>() {
                      @ProcessElement
                      public void process(ProcessContext c) {
                        int sum = c.sideInput(total);
                        c.output(
                            "x=" + c.element() + " total=" + sum + " share="
                                + String.format(Locale.ROOT, "%.5f", c.element() / (double) sum));
                      }
                    })
                .withSideInputs(total))
        .apply(describe((String s) -> s));
  }

  static PCollection<String> sideInputSingletonDefaultOnEmpty(Pipeline p) {
    PCollectionView<Integer> view =
        p.apply("NoInts", Create.empty(VarIntCoder.of()))
            .apply(View.<Integer>asSingleton().withDefaultValue(-1));
    return oneToTwenty(p, "Numbers")
        .apply(
            "UseDefault",
            ParDo.of(
                    new DoFn<Integer, String>() {
                      @ProcessElement
                      public void process(ProcessContext c) {
                        c.output("x=" + c.element() + " side=" + c.sideInput(view));
                      }
                    })
                .withSideInputs(view))
        .apply(describe((String s) -> s));
  }

  static PCollection<String> sideInputIterable(Pipeline p) {
    PCollectionView<Iterable<String>> view =
        p.apply("Letters", Create.of("d", "a", "c", "b", "a")).apply(View.asIterable());
    return oneToTwenty(p, "Numbers")
        .apply(
            "UseIterable",
            ParDo.of(
                    new DoFn<Integer, String>() {
                      @ProcessElement
                      public void process(ProcessContext c) {
                        c.output("x=" + c.element() + " side=" + sorted(c.sideInput(view)));
                      }
                    })
                .withSideInputs(view))
        .apply(describe((String s) -> s));
  }

  static PCollection<String> sideInputList(Pipeline p) {
    PCollectionView<List<Integer>> view =
        p.apply("Squares", Create.of(49, 1, 36, 4, 25, 9, 16)).apply(View.asList());
    return oneToTwenty(p, "Numbers")
        .apply(
            "UseList",
            ParDo.of(
                    new DoFn<Integer, String>() {
                      @ProcessElement
                      public void process(ProcessContext c) {
                        List<Integer> list = c.sideInput(view);
                        // The list's order is unspecified; its size and contents are not.
                        c.output(
                            "x=" + c.element() + " size=" + list.size() + " sorted=" + sorted(list)
                                + " contains=" + list.contains(c.element()));
                      }
                    })
                .withSideInputs(view))
        .apply(describe((String s) -> s));
  }

  static PCollection<String> sideInputMap(Pipeline p) {
    PCollectionView<Map<String, Integer>> view =
        p.apply(
                "Prices",
                Create.of(KV.of("apple", 3), KV.of("pear", 4), KV.of("plum", 1))
                    .withCoder(KV_STRING_INT))
            .apply(View.asMap());
    return p.apply("Fruits", Create.of("apple", "pear", "kiwi", "plum", "apple"))
        .apply(
            "Lookup",
            ParDo.of(
                    new DoFn<String, String>() {
                      @ProcessElement
                      public void process(ProcessContext c) {
                        Map<String, Integer> map = c.sideInput(view);
                        c.output(
                            "fruit=" + c.element() + " price=" + map.get(c.element())
                                + " mapSize=" + map.size() + " keys=" + sorted(map.keySet()));
                      }
                    })
                .withSideInputs(view))
        .apply(describe((String s) -> s));
  }

  static PCollection<String> sideInputMultimap(Pipeline p) {
    PCollectionView<Map<String, Iterable<Integer>>> view =
        p.apply(
                "Scores",
                Create.of(
                        KV.of("x", 1), KV.of("y", 2), KV.of("x", 3), KV.of("x", 1),
                        KV.of("z", 9))
                    .withCoder(KV_STRING_INT))
            .apply(View.asMultimap());
    return p.apply("Keys", Create.of("x", "y", "z", "w"))
        .apply(
            "Lookup",
            ParDo.of(
                    new DoFn<String, String>() {
                      @ProcessElement
                      public void process(ProcessContext c) {
                        Map<String, Iterable<Integer>> map = c.sideInput(view);
                        Iterable<Integer> values = map.get(c.element());
                        c.output(
                            "key=" + c.element()
                                + " values=" + (values == null ? "absent" : sorted(values))
                                + " keys=" + sorted(map.keySet()));
                      }
                    })
                .withSideInputs(view))
        .apply(describe((String s) -> s));
  }

  /**
   * Main input in 1 s fixed windows; one side input in 2 s fixed windows (window mapping), one
   * combined per 1 s window with a default value for the last window, which has no side data.
   */
  static PCollection<String> windowedSideInputs(Pipeline p) {
    List<TimestampedValue<Integer>> main = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      main.add(TimestampedValue.of(i, new Instant(i * 250L)));
    }
    List<TimestampedValue<Integer>> side = new ArrayList<>();
    for (int j = 0; j < 15; j++) {
      side.add(TimestampedValue.of(j, new Instant(j * 300L)));
    }
    PCollection<Integer> sideValues =
        p.apply("Side", Create.timestamped(side).withCoder(VarIntCoder.of()));
    PCollectionView<List<Integer>> twoSecondLists =
        sideValues
            .apply("SideTwoSecondWindows", Window.into(FixedWindows.of(Duration.standardSeconds(2))))
            .apply(View.asList());
    PCollectionView<Integer> oneSecondSums =
        sideValues
            .apply("SideOneSecondWindows", Window.into(FixedWindows.of(ONE_SECOND)))
            .apply(Combine.globally(Sum.ofIntegers()).asSingletonView());
    return p.apply("Main", Create.timestamped(main).withCoder(VarIntCoder.of()))
        .apply("MainWindows", Window.into(FixedWindows.of(ONE_SECOND)))
        .apply(
            "Join",
            ParDo.of(
                    new DoFn<Integer, String>() {
                      @ProcessElement
                      public void process(ProcessContext c) {
                        c.output(
                            "x=" + c.element()
                                + " list2s=" + sorted(c.sideInput(twoSecondLists))
                                + " sum1s=" + c.sideInput(oneSecondSums));
                      }
                    })
                .withSideInputs(twoSecondLists, oneSecondSums))
        .apply(describe((String s) -> s));
  }

  // ---------------------------------------------------------------------------------------------
  // 10. State and timers

  /** Buffers a key's values per window in state, and flushes them in an end-of-window timer. */
  static final class BufferAndFlushFn extends DoFn<KV<String, Integer>, String> {
    @StateId("key")
    private final StateSpec<ValueState<String>> keySpec = StateSpecs.value(StringUtf8Coder.of());

    @StateId("count")
    private final StateSpec<ValueState<Integer>> countSpec = StateSpecs.value(VarIntCoder.of());

    @StateId("buffer")
    private final StateSpec<BagState<Integer>> bufferSpec = StateSpecs.bag(VarIntCoder.of());

    @TimerId("flush")
    private final TimerSpec flushSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    @ProcessElement
    public void processElement(
        @Element KV<String, Integer> element,
        BoundedWindow window,
        @StateId("key") ValueState<String> key,
        @StateId("count") ValueState<Integer> count,
        @StateId("buffer") BagState<Integer> buffer,
        @TimerId("flush") Timer flush) {
      key.write(element.getKey());
      Integer seen = count.read();
      count.write(seen == null ? 1 : seen + 1);
      buffer.add(element.getValue());
      flush.set(window.maxTimestamp());
    }

    @OnTimer("flush")
    public void onFlush(
        @Timestamp Instant timerTimestamp,
        @StateId("key") ValueState<String> key,
        @StateId("count") ValueState<Integer> count,
        @StateId("buffer") BagState<Integer> buffer,
        OutputReceiver<String> out) {
      out.output(
          "key=" + key.read() + " count=" + count.read() + " values=" + sorted(buffer.read())
              + " timer=" + Formats.timestamp(timerTimestamp));
      buffer.clear();
      count.clear();
    }
  }

  static PCollection<String> statefulBufferFlushAtEndOfWindow(Pipeline p) {
    return timestampedEvents(p, "Events", 300, 4, 4000, 21)
        .apply(Window.into(FixedWindows.of(ONE_SECOND)))
        .apply("BufferAndFlush", ParDo.of(new BufferAndFlushFn()))
        .apply(describe((String s) -> s));
  }

  /** Sums a key's values per window in state and emits the sum from an end-of-window timer. */
  static final class SumAtEndOfWindowFn extends DoFn<KV<String, Integer>, KV<String, Integer>> {
    @StateId("key")
    private final StateSpec<ValueState<String>> keySpec = StateSpecs.value(StringUtf8Coder.of());

    @StateId("sum")
    private final StateSpec<ValueState<Integer>> sumSpec = StateSpecs.value(VarIntCoder.of());

    @TimerId("emit")
    private final TimerSpec emitSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    @ProcessElement
    public void processElement(
        @Element KV<String, Integer> element,
        BoundedWindow window,
        @StateId("key") ValueState<String> key,
        @StateId("sum") ValueState<Integer> sum,
        @TimerId("emit") Timer emit) {
      key.write(element.getKey());
      Integer s = sum.read();
      sum.write((s == null ? 0 : s) + element.getValue());
      emit.set(window.maxTimestamp());
    }

    @OnTimer("emit")
    public void onEmit(
        @StateId("key") ValueState<String> key,
        @StateId("sum") ValueState<Integer> sum,
        OutputReceiver<KV<String, Integer>> out) {
      out.output(KV.of(key.read(), sum.read()));
    }
  }

  /**
   * Timer output must be held back by the watermark: a downstream per-window aggregation of the
   * timers' outputs must see all of them (none dropped as late).
   */
  static PCollection<String> statefulTimerOutputFeedsAggregation(Pipeline p) {
    return timestampedEvents(p, "Events", 500, 6, 5000, 22)
        .apply(Window.into(FixedWindows.of(ONE_SECOND)))
        .apply("SumAtEndOfWindow", ParDo.of(new SumAtEndOfWindowFn()))
        .setCoder(KV_STRING_INT)
        .apply(Values.create())
        .apply(Combine.globally(Sum.ofIntegers()).withoutDefaults())
        .apply(describe((Integer total) -> "windowTotal=" + total));
  }

  // ---------------------------------------------------------------------------------------------
  // 11-12. Combine

  /** Accumulator of {@link MeanFn}. */
  static final class MeanAccum {
    long sum;
    long count;
  }

  static final class MeanAccumCoder extends CustomCoder<MeanAccum> {
    @Override
    public void encode(MeanAccum value, OutputStream out) throws IOException {
      VarLongCoder.of().encode(value.sum, out);
      VarLongCoder.of().encode(value.count, out);
    }

    @Override
    public MeanAccum decode(InputStream in) throws IOException {
      MeanAccum accum = new MeanAccum();
      accum.sum = VarLongCoder.of().decode(in);
      accum.count = VarLongCoder.of().decode(in);
      return accum;
    }
  }

  /** A custom mean, formatted exactly from the integer sum and count. */
  static final class MeanFn extends Combine.CombineFn<Integer, MeanAccum, String> {
    @Override
    public MeanAccum createAccumulator() {
      return new MeanAccum();
    }

    @Override
    public MeanAccum addInput(MeanAccum accum, Integer input) {
      accum.sum += input;
      accum.count++;
      return accum;
    }

    @Override
    public MeanAccum mergeAccumulators(Iterable<MeanAccum> accums) {
      MeanAccum merged = new MeanAccum();
      for (MeanAccum a : accums) {
        merged.sum += a.sum;
        merged.count += a.count;
      }
      return merged;
    }

    @Override
    public String extractOutput(MeanAccum accum) {
      if (accum.count == 0) {
        return "mean=NaN n=0";
      }
      return "mean=" + String.format(Locale.ROOT, "%.6f", accum.sum / (double) accum.count)
          + " n=" + accum.count + " sum=" + accum.sum;
    }

    @Override
    public org.apache.beam.sdk.coders.Coder<MeanAccum> getAccumulatorCoder(
        org.apache.beam.sdk.coders.CoderRegistry registry,
        org.apache.beam.sdk.coders.Coder<Integer> inputCoder) {
      return new MeanAccumCoder();
    }

    @Override
    public org.apache.beam.sdk.coders.Coder<String> getDefaultOutputCoder(
        org.apache.beam.sdk.coders.CoderRegistry registry,
        org.apache.beam.sdk.coders.Coder<Integer> inputCoder) {
      return StringUtf8Coder.of();
    }
  }

  static PCollection<String> combinePerKeyCustomMean(Pipeline p) {
    return keyedInts(p, "Ints", 1000, 7)
        .apply(Combine.perKey(new MeanFn()))
        .apply(describe((KV<String, String> kv) -> "key=" + kv.getKey() + " " + kv.getValue()));
  }

  static PCollection<String> combineGloballyCustomMean(Pipeline p) {
    PCollection<Integer> global =
        p.apply(
            "Ints",
            Create.of(
                Arrays.asList(
                    5, 3, 8, 13, 21, 1, 1, 2, 34, 55, 89, 144, 233, 377, 610, 987, 1597, 2584)));
    PCollection<String> globalMean =
        global.apply("GlobalMean", Combine.globally(new MeanFn())).apply("DescribeGlobal",
            describe((String s) -> "global " + s));
    PCollection<String> windowedMean =
        timestampedEvents(p, "Events", 400, 1, 3000, 5)
            .apply(Values.create())
            .apply(Window.into(FixedWindows.of(ONE_SECOND)))
            .apply("WindowedMean", Combine.globally(new MeanFn()).withoutDefaults())
            .apply("DescribeWindowed", describe((String s) -> "windowed " + s))
            // Flatten needs one windowing; the window is already part of each line.
            .apply("Rewindow", Window.into(new GlobalWindows()));
    return PCollectionList.of(globalMean).and(windowedMean).apply(Flatten.pCollections());
  }

  /** One hot key with 10,000 values and a few cold keys, summed; optionally with hot-key fanout. */
  static PCollection<String> hotKeySum(Pipeline p, int fanout) {
    List<KV<String, Integer>> values = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      values.add(KV.of("hot", i % 100));
    }
    for (int i = 0; i < 30; i++) {
      values.add(KV.of("cold" + (i % 5), i));
    }
    PCollection<KV<String, Integer>> input =
        p.apply("Values", Create.of(values).withCoder(KV_STRING_INT));
    PCollection<KV<String, Integer>> sums =
        fanout > 0
            ? input.apply(Combine.<String, Integer, Integer>perKey(Sum.ofIntegers())
                .withHotKeyFanout(fanout))
            : input.apply(Sum.integersPerKey());
    return sums.apply(describe(Scenarios::kv));
  }

  // ---------------------------------------------------------------------------------------------
  // 13. Flatten

  static PCollection<String> flattenFiveInputs(Pipeline p) {
    PCollectionList<String> inputs = PCollectionList.empty(p);
    for (int i = 0; i < 5; i++) {
      List<String> values = new ArrayList<>();
      for (int j = 0; j <= i * 3; j++) {
        values.add("in" + i + "-" + j);
      }
      values.add("shared");
      inputs = inputs.and(p.apply("Input" + i, Create.of(values)));
    }
    return inputs.apply(Flatten.pCollections()).apply(describe((String s) -> s));
  }

  static PCollection<String> flattenSameInputTwiceAndEmpty(Pipeline p) {
    PCollection<String> once = p.apply("Once", Create.of("x", "y", "z"));
    PCollection<String> empty = p.apply("Empty", Create.empty(StringUtf8Coder.of()));
    PCollection<String> other = p.apply("Other", Create.of("w"));
    return PCollectionList.of(once)
        .and(once)
        .and(empty)
        .and(other)
        .apply(Flatten.pCollections())
        .apply(Count.perElement())
        .apply(describe((KV<String, Long> kv) -> "element=" + kv.getKey() + " count=" + kv.getValue()));
  }

  // ---------------------------------------------------------------------------------------------
  // 14. Empty input

  static PCollection<String> emptyInput(Pipeline p) {
    return p.apply("Nothing", Create.empty(StringUtf8Coder.of()))
        .apply(Count.perElement())
        .apply(describe((KV<String, Long> kv) -> "element=" + kv.getKey() + " count=" + kv.getValue()));
  }

  /** Combine.globally of empty input in the global window still outputs its default (0). */
  static PCollection<String> emptyInputGlobalCount(Pipeline p) {
    return p.apply("Nothing", Create.empty(StringUtf8Coder.of()))
        .apply(Count.globally())
        .apply(describe((Long n) -> "count=" + n));
  }

  // ---------------------------------------------------------------------------------------------
  // 15. Multiple outputs

  static final TupleTag<String> SMALL = new TupleTag<String>() {};
  static final TupleTag<Integer> LARGE = new TupleTag<Integer>() {};

  static final class SplitBySizeFn extends DoFn<Integer, String> {
    @ProcessElement
    public void processElement(@Element Integer n, MultiOutputReceiver out) {
      if (n < 50) {
        out.get(SMALL).output("small=" + n);
      } else {
        out.get(LARGE).output(n);
        if (n % 10 == 0) {
          out.get(SMALL).output("round-large=" + n);
        }
      }
    }
  }

  static PCollection<String> multiOutputParDo(Pipeline p) {
    List<Integer> values = new ArrayList<>();
    for (int i = 0; i < 120; i += 3) {
      values.add(i);
    }
    PCollectionTuple split =
        p.apply("Values", Create.of(values))
            .apply("Split", ParDo.of(new SplitBySizeFn()).withOutputTags(SMALL, TupleTagList.of(LARGE)));
    PCollection<String> small = split.get(SMALL).apply("DescribeSmall", describe((String s) -> "main " + s));
    PCollection<String> large =
        split.get(LARGE)
            .apply("DescribeLarge", describe((Integer n) -> "side large=" + n));
    return PCollectionList.of(small).and(large).apply(Flatten.pCollections());
  }

  // ---------------------------------------------------------------------------------------------
  // 16. Unbounded source, bounded read

  static PCollection<String> unboundedSourceBoundedRead(Pipeline p) {
    SerializableFunction<Long, Instant> millis = i -> new Instant(i.longValue());
    PCollection<Long> windowed =
        p.apply(
                "CountingUnbounded",
                Read.from(CountingSource.unboundedWithTimestampFn(millis)).withMaxNumRecords(2000))
            .apply(Window.into(FixedWindows.of(Duration.millis(100))));
    PCollection<String> counts =
        windowed
            .apply("CountPerWindow", Combine.globally(Count.<Long>combineFn()).withoutDefaults())
            .apply("DescribeCounts", describe((Long n) -> "count=" + n));
    PCollection<String> sums =
        windowed
            .apply("SumPerWindow", Combine.globally(Sum.ofLongs()).withoutDefaults())
            .apply("DescribeSums", describe((Long n) -> "sum=" + n));
    return PCollectionList.of(counts).and(sums).apply(Flatten.pCollections());
  }

  // ---------------------------------------------------------------------------------------------
  // 17. Reshuffle

  static PCollection<String> reshuffle(Pipeline p) {
    PCollection<KV<String, Integer>> events =
        timestampedEvents(p, "Events", 500, 10, 5000, 17)
            .apply(Window.into(FixedWindows.of(ONE_SECOND)));
    PCollection<String> reshuffledCounts =
        events
            .apply("ReshuffleOf", Reshuffle.of())
            .apply("CountPerKey", Count.perKey())
            .apply("DescribeCounts", describe((KV<String, Long> kv) ->
                "reshuffleOf key=" + kv.getKey() + " count=" + kv.getValue()));
    PCollection<String> randomKeyCounts =
        events
            .apply(Values.create())
            .apply("ViaRandomKey", Reshuffle.viaRandomKey())
            .apply("Mod7", MapElements.into(TypeDescriptors.integers()).via((Integer i) -> i % 7))
            .apply("CountPerElement", Count.perElement())
            .apply("DescribeRandom", describe((KV<Integer, Long> kv) ->
                "viaRandomKey mod7=" + kv.getKey() + " count=" + kv.getValue()));
    // Reshuffle must keep every element's value, timestamp and window.
    PCollection<String> elements =
        events
            .apply("ReshuffleElements", Reshuffle.of())
            .apply("DescribeElements", describe((KV<String, Integer> kv) -> "element " + kv(kv)));
    return PCollectionList.of(reshuffledCounts)
        .and(randomKeyCounts)
        .and(elements)
        .apply(Flatten.pCollections());
  }

  // ---------------------------------------------------------------------------------------------
  // 18. Composites: Distinct, Top, Latest

  static PCollection<String> distinct(Pipeline p) {
    List<String> values = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      values.add("v" + (i * i % 37));
    }
    return p.apply("Values", Create.of(values))
        .apply(Distinct.create())
        .apply(describe((String s) -> "distinct=" + s));
  }

  static PCollection<String> topPerKey(Pipeline p) {
    return keyedInts(p, "Ints", 400, 6)
        .apply(Top.largestPerKey(3))
        .apply(describe((KV<String, List<Integer>> kv) ->
            "key=" + kv.getKey() + " top3=" + kv.getValue()));
  }

  static PCollection<String> latestPerKey(Pipeline p) {
    List<TimestampedValue<KV<String, Integer>>> values = new ArrayList<>();
    for (int i = 0; i < 90; i++) {
      // Unique timestamps per key, in scrambled order.
      long ts = (i * 37L) % 90 * 10;
      values.add(TimestampedValue.of(KV.of("k" + (i % 4), i), new Instant(ts)));
    }
    return p.apply("Values", Create.timestamped(values).withCoder(KV_STRING_INT))
        .apply(Latest.perKey())
        .apply(describe(Scenarios::kv));
  }

  // ---------------------------------------------------------------------------------------------
  // 19. Larger input

  static PCollection<String> largeKeyedCount200k(Pipeline p) {
    PCollection<KV<String, Long>> keyed =
        p.apply(GenerateSequence.from(0).to(200_000))
            .apply(
                "Key",
                MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.longs()))
                    .via((Long i) -> KV.of("k" + (i % 997), i)));
    PCollection<String> counts =
        keyed
            .apply("CountPerKey", Count.perKey())
            .apply("DescribeCounts", describe((KV<String, Long> kv) ->
                "count key=" + kv.getKey() + " n=" + kv.getValue()));
    PCollection<String> sums =
        keyed
            .apply("SumPerKey", Sum.longsPerKey())
            .apply("DescribeSums", describe((KV<String, Long> kv) ->
                "sum key=" + kv.getKey() + " sum=" + kv.getValue()));
    return PCollectionList.of(counts).and(sums).apply(Flatten.pCollections());
  }
}
