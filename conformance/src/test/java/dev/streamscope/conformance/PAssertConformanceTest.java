package dev.streamscope.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** PAssert on {@code TestStreamScopeRunner}: passing assertions pass, failing ones throw. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class PAssertConformanceTest {

  private static Pipeline testPipeline() {
    return Pipeline.create(
        PipelineOptionsFactory.fromArgs("--runner=TestStreamScopeRunner", "--parallelism=2").create());
  }

  @Test
  void passingAssertionsRunToDone() {
    Pipeline p = testPipeline();
    PCollection<Integer> numbers = p.apply("Numbers", Create.of(1, 2, 3, 4, 5));
    PAssert.that(numbers).containsInAnyOrder(5, 4, 3, 2, 1);
    PAssert.thatSingleton(numbers.apply("Sum", Sum.integersGlobally())).isEqualTo(15);
    PAssert.thatSingleton(numbers.apply("Count", Count.globally())).isEqualTo(5L);
    PAssert.that(p.apply("Nothing", Create.empty(org.apache.beam.sdk.coders.VarIntCoder.of())))
        .empty();

    List<TimestampedValue<Integer>> timed = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      timed.add(TimestampedValue.of(i, new Instant(i * 300L)));
    }
    PCollection<Integer> windowedSums =
        p.apply("Timed", Create.timestamped(timed))
            .apply(Window.into(FixedWindows.of(Duration.standardSeconds(1))))
            .apply("WindowedSum", Sum.integersGlobally().withoutDefaults());
    // Values 0..3 fall in [0,1000), 4..6 in [1000,2000), 7..9 in [2000,3000).
    PAssert.that(windowedSums)
        .inWindow(new IntervalWindow(new Instant(0), new Instant(1000)))
        .containsInAnyOrder(0 + 1 + 2 + 3);
    PAssert.that(windowedSums)
        .inOnTimePane(new IntervalWindow(new Instant(2000), new Instant(3000)))
        .containsInAnyOrder(7 + 8 + 9);

    PipelineResult.State state = p.run().waitUntilFinish(DifferentialHarness.RUN_TIMEOUT);
    assertEquals(PipelineResult.State.DONE, state);
  }

  @Test
  void failingAssertionThrowsAssertionErrorWithThePAssertMessage() {
    Pipeline p = testPipeline();
    PAssert.that(p.apply("Numbers", Create.of(1, 2, 3))).containsInAnyOrder(1, 2, 4);
    Throwable thrown = null;
    try {
      p.run().waitUntilFinish(DifferentialHarness.RUN_TIMEOUT);
    } catch (Throwable t) {
      thrown = t;
    }
    if (thrown == null) {
      fail("a failing PAssert must make the TestStreamScopeRunner run throw, but it finished");
    }
    String chain = Failures.chain(thrown);
    if (!(thrown instanceof AssertionError)) {
      fail("a failing PAssert must throw an AssertionError, not:\n" + chain, thrown);
    }
    // Hamcrest's description of the failed containsInAnyOrder: the expected items and the extra one.
    assertTrue(
        chain.contains("[<1>, <2>, <4>] in any order"),
        () -> "the AssertionError should carry the PAssert failure:\n" + chain);
    assertTrue(chain.contains("not matched: <3>"), () -> "the AssertionError should name the unmatched 3:\n" + chain);
  }

  @Test
  void failingSingletonAssertionThrowsAssertionError() {
    Pipeline p = testPipeline();
    PAssert.thatSingleton(p.apply("Numbers", Create.of(1, 2, 3)).apply(Sum.integersGlobally()))
        .isEqualTo(7);
    Throwable thrown = null;
    try {
      p.run().waitUntilFinish(DifferentialHarness.RUN_TIMEOUT);
    } catch (Throwable t) {
      thrown = t;
    }
    if (thrown == null) {
      fail("a failing PAssert must make the TestStreamScopeRunner run throw, but it finished");
    }
    String chain = Failures.chain(thrown);
    if (!(thrown instanceof AssertionError)) {
      fail("a failing PAssert must throw an AssertionError, not:\n" + chain, thrown);
    }
    assertTrue(chain.contains("Expected: <7>"), () -> "the AssertionError should carry the PAssert failure:\n" + chain);
    assertTrue(chain.contains("but: was <6>"), () -> "the AssertionError should name the actual 6:\n" + chain);
  }
}
