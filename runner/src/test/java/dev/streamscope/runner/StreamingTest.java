package dev.streamscope.runner;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.AfterPane;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

class StreamingTest {
  private static final AtomicLong UNBOUNDED_SEEN = new AtomicLong();

  @Test
  void lateDataWithinAllowedLatenessFiresALatePane() {
    Pipeline p =
        Pipeline.create(
            PipelineOptionsFactory.fromArgs("--runner=TestStreamScopeRunner", "--streaming=true")
                .create());
    TestStream<String> events =
        TestStream.create(StringUtf8Coder.of())
            .addElements(
                TimestampedValue.of("a", new Instant(1)), TimestampedValue.of("a", new Instant(2)))
            .advanceWatermarkTo(new Instant(1_500))
            .addElements(TimestampedValue.of("a", new Instant(3)))
            .advanceWatermarkTo(new Instant(20_000))
            .addElements(TimestampedValue.of("a", new Instant(4)))
            .advanceWatermarkToInfinity();
    PCollection<KV<String, Long>> counts =
        p.apply(events)
            .apply(
                Window.<String>into(FixedWindows.of(Duration.standardSeconds(1)))
                    .triggering(
                        AfterWatermark.pastEndOfWindow().withLateFirings(AfterPane.elementCountAtLeast(1)))
                    .withAllowedLateness(Duration.standardSeconds(5))
                    .accumulatingFiredPanes())
            .apply(Count.perElement());
    IntervalWindow first = new IntervalWindow(new Instant(0), Duration.standardSeconds(1));
    // On time: a@1, a@2. Late but allowed: a@3 (accumulating: 3). Past lateness: a@4 is dropped.
    PAssert.that(counts).inOnTimePane(first).containsInAnyOrder(KV.of("a", 2L));
    PAssert.that(counts).inLatePane(first).containsInAnyOrder(KV.of("a", 3L));
    p.run();
  }

  private static final class CountSeen extends DoFn<Long, Void> {
    @ProcessElement
    public void process() {
      UNBOUNDED_SEEN.incrementAndGet();
    }
  }

  @Test
  void anUnboundedSourceRunsUntilCancelled() throws Exception {
    Pipeline p =
        Pipeline.create(
            PipelineOptionsFactory.fromArgs("--runner=StreamScope", "--streaming=true").create());
    p.apply(GenerateSequence.from(0).withRate(1_000, Duration.standardSeconds(1)))
        .apply(ParDo.of(new CountSeen()));
    UNBOUNDED_SEEN.set(0);
    PipelineResult result = p.run();
    await().atMost(30, TimeUnit.SECONDS).until(() -> UNBOUNDED_SEEN.get() >= 200);
    assertEquals(PipelineResult.State.RUNNING, result.getState());
    assertEquals(PipelineResult.State.CANCELLED, result.cancel());
    long seenAtCancel = UNBOUNDED_SEEN.get();
    assertTrue(seenAtCancel >= 200);
  }

  /**
   * A TestStream drives the job's processing time (logical, from the start of time, as in the
   * DirectRunner): a timer set 500 ms ahead fires at that logical instant once the script advances
   * processing time past it, after the element that set it.
   */
  @Test
  void processingTimeEventsInATestStreamDriveProcessingTimeTimers() {
    Pipeline p =
        Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=TestStreamScopeRunner").create());
    PCollection<String> out =
        p.apply(
                "Script",
                TestStream.create(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of()))
                    .addElements(KV.of("k", "x"))
                    .advanceProcessingTime(Duration.standardSeconds(1))
                    .advanceWatermarkToInfinity())
            .apply(ParDo.of(new ProcessingTimer()));
    Instant expectedFiring = BoundedWindow.TIMESTAMP_MIN_VALUE.plus(Duration.millis(500));
    PAssert.that(out).containsInAnyOrder("element x", "timer at " + expectedFiring);
    p.run();
  }

  private static final class ProcessingTimer extends DoFn<KV<String, String>, String> {
    @TimerId("t")
    private final TimerSpec spec = TimerSpecs.timer(TimeDomain.PROCESSING_TIME);

    @ProcessElement
    public void process(
        @Element KV<String, String> element, @TimerId("t") Timer timer, OutputReceiver<String> out) {
      timer.offset(Duration.millis(500)).setRelative();
      out.output("element " + element.getValue());
    }

    @OnTimer("t")
    public void onTimer(OnTimerContext context, OutputReceiver<String> out) {
      out.output("timer at " + context.fireTimestamp());
    }
  }
}
