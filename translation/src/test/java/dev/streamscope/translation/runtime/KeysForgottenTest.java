package dev.streamscope.translation.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.streamscope.translation.PipelineTranslator;
import dev.streamscope.translation.TranslatedJob;
import dev.streamscope.translation.runtime.JobDriver.Trace;
import dev.streamscope.translation.runtime.steps.GroupByKeyStep;
import dev.streamscope.translation.runtime.steps.StatefulParDoStep;
import java.util.Map;
import java.util.function.ToIntFunction;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.testing.CrashingRunner;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Sessions;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * Keyed steps drop a key once its windows are done: a stream with ever new keys (sessions, users)
 * must not keep an entry for every key it ever saw.
 */
class KeysForgottenTest {
  private static final int KEYS = 200;
  private static final int ELEMENTS_PER_KEY = 3;

  /** Key k: three elements 3 s apart from k s on (one session each), the watermark following. */
  private static PCollection<KV<Long, Long>> input(Pipeline p) {
    TestStream.Builder<KV<Long, Long>> stream =
        TestStream.create(KvCoder.of(VarLongCoder.of(), VarLongCoder.of()));
    for (long k = 0; k < KEYS; k++) {
      for (int e = 0; e < ELEMENTS_PER_KEY; e++) {
        stream = stream.addElements(
            TimestampedValue.of(KV.of(k, 1L), new Instant(k * 1000 + e * 3000)));
      }
      stream = stream.advanceWatermarkTo(new Instant(k * 1000));
    }
    return p.apply("Script", stream.advanceWatermarkToInfinity());
  }

  private static Pipeline pipeline() {
    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(CrashingRunner.class);
    return Pipeline.create(options);
  }

  @Test
  void aGroupByKeyOverSessionsKeepsNoKeyOnceItsSessionsFired() throws Exception {
    Pipeline p = pipeline();
    input(p)
        .apply(Window.into(Sessions.withGapDuration(Duration.standardSeconds(10))))
        .apply("Grouping", GroupByKey.create())
        // A consumer, so that the grouping's output is written out and traced.
        .apply("Regroup", GroupByKey.create());

    Run run = run(p, GroupByKeyStep.class, GroupByKeyStep::keysInMemory);

    assertEquals(KEYS, run.dataEventsOut, "one session pane per key");
    assertEquals(0, run.keysInMemory);
  }

  @Test
  void aStatefulDoFnKeepsNoKeyOnceItsWindowsExpired() throws Exception {
    Pipeline p = pipeline();
    input(p)
        .apply(Window.into(FixedWindows.of(Duration.standardSeconds(5))))
        .apply("Counting", ParDo.of(new CountPerKey()))
        .apply("Regroup", GroupByKey.create());

    Run run = run(p, StatefulParDoStep.class, StatefulParDoStep::keysInMemory);

    assertEquals(KEYS * ELEMENTS_PER_KEY, run.dataEventsOut, "one count per element");
    assertEquals(0, run.keysInMemory);
  }

  private record Run(int dataEventsOut, int keysInMemory) {}

  /** Runs the job; counts the data written by, and the keys left in, every step of {@code type}. */
  private static <T extends Step> Run run(
      Pipeline p, Class<T> type, ToIntFunction<T> keysInMemory) throws Exception {
    TranslatedJob job = PipelineTranslator.translate(p, 2);
    JobDriver driver = new JobDriver(job, 3);
    int data = 0;
    int keys = 0;
    int steps = 0;
    for (Map.Entry<String, Trace> vertex : driver.runAll(Map.of()).entrySet()) {
      if (!(driver.operator(vertex.getKey()) instanceof FusedStageOperator operator)) {
        continue;
      }
      for (T step : operator.steps(type)) {
        if (vertex.getKey().contains("Regroup")) {
          continue;
        }
        steps++;
        keys += keysInMemory.applyAsInt(step);
        data += (int) vertex.getValue().outputs().get(0).stream()
            .filter(event -> event.startsWith("data"))
            .count();
      }
    }
    assertEquals(2, steps, "one step per partition");
    return new Run(data, keys);
  }

  /** Counts the elements of each key and window so far, in state. */
  private static final class CountPerKey extends DoFn<KV<Long, Long>, KV<Long, Long>> {
    @StateId("count")
    private final StateSpec<ValueState<Long>> countSpec = StateSpecs.value(VarLongCoder.of());

    @ProcessElement
    public void process(
        @Element KV<Long, Long> element,
        @StateId("count") ValueState<Long> count,
        OutputReceiver<KV<Long, Long>> out) {
      Long seen = count.read();
      long now = (seen == null ? 0 : seen) + element.getValue();
      count.write(now);
      out.output(KV.of(element.getKey(), now));
    }
  }
}
