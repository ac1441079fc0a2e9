package dev.streamscope.translation.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamscope.translation.PipelineTranslator;
import dev.streamscope.translation.runtime.JobDriver.Trace;
import dev.streamscope.translation.runtime.steps.OnTimePanesStep;
import dev.streamscope.translation.TranslatedJob;
import dev.streamscope.vertex.graph.StageSpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.CrashingRunner;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Sessions;
import org.apache.beam.sdk.transforms.windowing.SlidingWindows;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * {@link OnTimePanesStep} as a GroupByKey: where it applies, and that it emits what runners-core's
 * ReduceFnRunner (GroupByKeyStep) emits for the same input: the same panes (values, window,
 * timestamp, pane info) between the same watermarks, late elements dropped alike, the output
 * watermark held alike. The ReduceFnRunner runs the same pipeline with the default trigger spelled
 * out as {@code AfterWatermark.pastEndOfWindow()}, which has the same panes but is not the default
 * trigger, so the translator keeps it on runners-core. (Its snapshots:
 * FusedStageOperatorSnapshotTest.)
 */
class OnTimePanesStepTest {
  @Test
  void appliesOnlyWhereEveryWindowHasOneOnTimePane() {
    WindowingStrategy<?, ?> fixed =
        WindowingStrategy.of(FixedWindows.of(Duration.standardSeconds(1)));
    assertTrue(OnTimePanesStep.applies(WindowingStrategy.globalDefault()));
    assertTrue(OnTimePanesStep.applies(fixed));
    assertTrue(
        OnTimePanesStep.applies(
            WindowingStrategy.of(
                SlidingWindows.of(Duration.standardSeconds(10)).every(Duration.standardSeconds(5)))));
    assertFalse(OnTimePanesStep.applies(fixed.withTrigger(AfterWatermark.pastEndOfWindow())));
    assertFalse(OnTimePanesStep.applies(fixed.withAllowedLateness(Duration.millis(1))));
    assertFalse(OnTimePanesStep.applies(fixed.withTimestampCombiner(TimestampCombiner.EARLIEST)));
    assertFalse(
        OnTimePanesStep.applies(
            WindowingStrategy.of(Sessions.withGapDuration(Duration.standardSeconds(1)))));
  }

  @Test
  void fixedWindowsAsReduceFnRunner() throws Exception {
    assertSamePanes(FixedWindows.of(Duration.standardSeconds(10)), 1, false, 10);
  }

  @Test
  void slidingWindowsAsReduceFnRunner() throws Exception {
    assertSamePanes(
        SlidingWindows.of(Duration.standardSeconds(10)).every(Duration.standardSeconds(3)),
        2,
        false,
        10);
  }

  @Test
  void globalWindowAsReduceFnRunner() throws Exception {
    // One pane per key (there are four), at the end of input.
    assertSamePanes(new GlobalWindows(), 3, true, 4);
  }

  /**
   * Rounds of elements around a watermark that moves on between rounds; about one element in five
   * is up to 15 s behind the watermark (late, and dropped if its window has fired).
   */
  private static List<Round> rounds(long seed) {
    Random random = new Random(seed);
    List<Round> rounds = new ArrayList<>();
    long watermarkMillis = 0;
    long value = 0;
    for (int round = 0; round < 12; round++) {
      List<TimestampedValue<KV<Long, Long>>> elements = new ArrayList<>();
      for (int i = random.nextInt(8); i >= 0; i--) {
        long millis =
            random.nextInt(5) == 0
                ? Math.max(0, watermarkMillis - random.nextInt(15_000))
                : watermarkMillis + random.nextInt(12_000);
        elements.add(
            TimestampedValue.of(KV.of((long) random.nextInt(4), value++), new Instant(millis)));
      }
      watermarkMillis += random.nextInt(7_000);
      rounds.add(new Round(elements, watermarkMillis));
    }
    return rounds;
  }

  /** Elements, then the watermark that follows them. */
  private record Round(
      List<TimestampedValue<KV<Long, Long>>> elements, long watermarkAfterMillis) {}

  /**
   * {@link #rounds} as a TestStream, or (for the global window, which an unbounded input
   * cannot group without a trigger) all at once from a bounded Create.
   */
  @SuppressWarnings("unchecked")
  private static PCollection<KV<Long, Long>> input(Pipeline p, long seed, boolean bounded) {
    KvCoder<Long, Long> coder = KvCoder.of(VarLongCoder.of(), VarLongCoder.of());
    List<Round> rounds = rounds(seed);
    if (bounded) {
      List<TimestampedValue<KV<Long, Long>>> all = new ArrayList<>();
      rounds.forEach(round -> all.addAll(round.elements()));
      return p.apply("Script", Create.timestamped(all).withCoder(coder));
    }
    TestStream.Builder<KV<Long, Long>> builder = TestStream.create(coder);
    for (Round round : rounds) {
      List<TimestampedValue<KV<Long, Long>>> elements = round.elements();
      builder =
          builder
              .addElements(
                  elements.get(0),
                  elements.subList(1, elements.size()).toArray(TimestampedValue[]::new))
              .advanceWatermarkTo(new Instant(round.watermarkAfterMillis()));
    }
    return p.apply("Script", builder.advanceWatermarkToInfinity());
  }

  /** The grouping vertices' outputs, with the default trigger and with it spelled out. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static void assertSamePanes(
      WindowFn<?, ?> windowFn, long seed, boolean bounded, int panesMin)
      throws Exception {
    Window<KV<Long, Long>> onTime = Window.into((WindowFn) windowFn);
    Window<KV<Long, Long>> spelledOut =
        Window.<KV<Long, Long>>into((WindowFn) windowFn)
            .triggering(AfterWatermark.pastEndOfWindow())
            .withAllowedLateness(Duration.ZERO)
            .discardingFiredPanes();
    Map<String, List<List<String>>> expected = groupingEpochs(spelledOut, seed, bounded);
    Map<String, List<List<String>>> actual = groupingEpochs(onTime, seed, bounded);
    assertEquals(expected, actual);
    int panes = 0;
    for (List<List<String>> epochs : expected.values()) {
      panes += epochs.stream().mapToInt(epoch -> epoch.size() - 1).sum();
    }
    assertTrue(panes >= panesMin, "panes emitted: " + panes);
  }

  /**
   * The output of every vertex of the Grouping stage, run on {@link #input} windowed by {@code
   * window}, as epochs: each the panes between two watermarks (decoded and sorted: the two steps
   * emit a window's keys in different orders, and encode the values of a pane differently, as a
   * list or as an iterable of unknown size), then the watermark that closes it.
   */
  private static Map<String, List<List<String>>> groupingEpochs(
      Window<KV<Long, Long>> window, long seed, boolean bounded) throws Exception {
    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(CrashingRunner.class);
    Pipeline p = Pipeline.create(options);
    PCollection<KV<Long, Iterable<Long>>> grouped =
        input(p, seed, bounded).apply(window).apply("Grouping", GroupByKey.create());
    // A second grouping consumes the first's output, so it is written out and traced.
    grouped.apply("Regroup", GroupByKey.create());
    TranslatedJob job = PipelineTranslator.translate(p, 2);
    StreamPayloads.Decoder decoder =
        StreamPayloads.decoder(
            job.payloads()
                .formatOf(
                    stageId(job, "Grouping") + "/out0/p0->" + stageId(job, "Regroup") + "/in0/p0"));
    Map<String, List<List<String>>> epochs = new TreeMap<>();
    for (Map.Entry<String, Trace> vertex : new JobDriver(job, 3).runAll(Map.of()).entrySet()) {
      if (vertex.getKey().startsWith(stageId(job, "Grouping") + "#")) {
        epochs.put(vertex.getKey(), epochs(vertex.getValue(), decoder));
      }
    }
    assertEquals(2, epochs.size(), "Grouping vertices: " + epochs.keySet());
    return epochs;
  }

  private static String stageId(TranslatedJob job, String part) {
    List<String> ids = new ArrayList<>();
    for (StageSpec stage : job.graph().stages()) {
      if (stage.id().contains(part)) {
        ids.add(stage.id());
      }
    }
    assertEquals(1, ids.size(), "stages named " + part);
    return ids.get(0);
  }

  private static List<List<String>> epochs(Trace trace, StreamPayloads.Decoder decoder)
      throws Exception {
    List<List<String>> epochs = new ArrayList<>();
    List<String> data = new ArrayList<>();
    for (String event : trace.outputs().get(0)) {
      if (event.startsWith("data")) {
        String payload = event.substring(event.lastIndexOf(' ') + 1);
        data.add(decoder.describe(Base64.getDecoder().decode(payload)));
        continue;
      }
      data.sort(null);
      data.add(event);
      epochs.add(data);
      data = new ArrayList<>();
    }
    assertTrue(data.isEmpty(), "data after the last watermark: " + data);
    return epochs;
  }
}
