package dev.streamscope.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.FlatMapElements;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class StreamScopeRunnerTest {
  private static final class AddSideSum extends DoFn<Long, Long> {
    private final PCollectionView<List<Long>> side;

    AddSideSum(PCollectionView<List<Long>> side) {
      this.side = side;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      long sum = 0;
      for (long v : c.sideInput(side)) {
        sum += v;
      }
      c.output(c.element() + sum);
    }
  }

  private static final class AddSide extends DoFn<Long, Long> {
    private final PCollectionView<Long> side;

    AddSide(PCollectionView<Long> side) {
      this.side = side;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      c.output(c.element() + c.sideInput(side));
    }
  }

  private static Pipeline pipeline(String... extraArgs) {
    List<String> args = new ArrayList<>(List.of("--runner=TestStreamScopeRunner"));
    args.addAll(List.of(extraArgs));
    if (args.stream().noneMatch(arg -> arg.startsWith("--parallelism="))) {
      args.add("--parallelism=3");
    }
    return Pipeline.create(PipelineOptionsFactory.fromArgs(args.toArray(new String[0])).create());
  }

  @Test
  void countsWordsAcrossPartitions() {
    Pipeline p = pipeline();
    PCollection<KV<String, Long>> counts =
        p.apply(Create.of("a b c", "a b", "a"))
            .apply(
                FlatMapElements.into(TypeDescriptors.strings())
                    .via((String line) -> List.of(line.split(" "))))
            .apply(Count.perElement());
    PAssert.that(counts).containsInAnyOrder(KV.of("a", 3L), KV.of("b", 2L), KV.of("c", 1L));
    assertEquals(PipelineResult.State.DONE, p.run().getState());
  }

  @Test
  void sumsManyKeys() {
    Pipeline p = pipeline("--maxBundleSize=7");
    List<KV<Integer, Long>> input = new ArrayList<>();
    long[] expected = new long[10];
    for (int i = 0; i < 5_000; i++) {
      input.add(KV.of(i % 10, (long) i));
      expected[i % 10] += i;
    }
    PCollection<KV<Integer, Long>> sums = p.apply(Create.of(input)).apply(Sum.longsPerKey());
    List<KV<Integer, Long>> expectedKvs = new ArrayList<>();
    for (int k = 0; k < 10; k++) {
      expectedKvs.add(KV.of(k, expected[k]));
    }
    PAssert.that(sums).containsInAnyOrder(expectedKvs);
    p.run();
  }

  @Test
  void mainInputWaitsForASideInputFromManyPartitions() {
    Pipeline p = pipeline("--parallelism=4", "--maxBundleSize=10");
    PCollectionView<List<Long>> side =
        p.apply("Side", GenerateSequence.from(0).to(10_000)).apply(View.asList());
    PCollection<Long> sums =
        p.apply("Main", Create.of(1L))
            .apply(ParDo.of(new AddSideSum(side)).withSideInputs(side));
    PAssert.that(sums).containsInAnyOrder(1L + 10_000L * 9_999L / 2);
    p.run();
  }

  /**
   * A side input computed from the main input's own source (here its sum): the main input must be
   * consumed while the side input is not ready, or its source would stop, back-pressured, before
   * the side input could ever be complete. A small stream buffer makes the source wait early.
   * Before the fix this hung (hence the timeout: a hang guard, not a speed check).
   */
  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void aSideInputFromTheMainInputsOwnSourceDoesNotHoldItBack() {
    Pipeline p = pipeline("--parallelism=2", "--streamBufferBytesMax=4096");
    long n = 20_000;
    PCollection<Long> numbers = p.apply(GenerateSequence.from(0).to(n));
    PCollectionView<Long> total = numbers.apply(Sum.longsGlobally().asSingletonView());
    PCollection<Long> shifted = numbers.apply(ParDo.of(new AddSide(total)).withSideInputs(total));
    long sum = n * (n - 1) / 2;
    PAssert.thatSingleton(shifted.apply(Sum.longsGlobally())).isEqualTo(sum + n * sum);
    p.run();
  }

  @Test
  void failedAssertionIsAnAssertionError() {
    Pipeline p = pipeline();
    PCollection<Integer> doubled =
        p.apply(Create.of(1, 2, 3)).apply(MapElements.into(TypeDescriptors.integers()).via(x -> 2 * x));
    PAssert.that(doubled).containsInAnyOrder(2, 4, 7);
    AssertionError error = assertThrows(AssertionError.class, p::run);
    assertTrue(error.getMessage().contains("7"), error.getMessage());
  }
}
