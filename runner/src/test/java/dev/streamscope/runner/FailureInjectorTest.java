package dev.streamscope.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code --injectVertexFailures}: real kills at seeded moments, and exact results despite them. */
class FailureInjectorTest {
  private static final long EVENTS = 20_000;

  /** A pipeline on TestStreamScopeRunner; recompute unless {@code extraArgs} name a strategy. */
  private static Pipeline pipeline(String... extraArgs) {
    List<String> args = new ArrayList<>(List.of("--runner=TestStreamScopeRunner", "--parallelism=2"));
    args.addAll(List.of(extraArgs));
    if (args.stream().noneMatch(arg -> arg.startsWith("--recoveryStrategy="))) {
      args.add("--recoveryStrategy=recompute");
    }
    return Pipeline.create(PipelineOptionsFactory.fromArgs(args.toArray(new String[0])).create());
  }

  /** Sums its group (no combiner lifting: every element crosses the shuffle). */
  private static final class SumGroup extends DoFn<KV<Long, Iterable<Long>>, KV<Long, Long>> {
    @ProcessElement
    public void process(@Element KV<Long, Iterable<Long>> group, OutputReceiver<KV<Long, Long>> out) {
      long sum = 0;
      for (long value : group.getValue()) {
        sum += value;
      }
      out.output(KV.of(group.getKey(), sum));
    }
  }

  /** Sums of i over i % 7, for i in [0, EVENTS), through a shuffle; PAssert checks them exactly. */
  private static StreamScopePipelineResult runKeyedSum(String... extraArgs) {
    Pipeline p = pipeline(extraArgs);
    PCollection<KV<Long, Long>> sums =
        p.apply(GenerateSequence.from(0).to(EVENTS))
            .apply(
                MapElements.into(TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.longs()))
                    .via((Long i) -> KV.of(i % 7, i)))
            .apply(GroupByKey.create())
            .apply(ParDo.of(new SumGroup()));
    long[] expected = new long[7];
    for (long i = 0; i < EVENTS; i++) {
      expected[(int) (i % 7)] += i;
    }
    List<KV<Long, Long>> expectedKvs = new ArrayList<>();
    for (int key = 0; key < 7; key++) {
      expectedKvs.add(KV.of((long) key, expected[key]));
    }
    PAssert.that(sums).containsInAnyOrder(expectedKvs);
    return (StreamScopePipelineResult) p.run();
  }

  @Test
  void everyPlannedKillHappensAndTheOutputStaysExact() {
    StreamScopePipelineResult result =
        runKeyedSum("--injectVertexFailures=4", "--failureInjectionSeed=11");
    assertEquals(PipelineResult.State.DONE, result.getState());
    assertEquals(4, result.plannedInjectedKills());
    assertEquals(4, result.injectedKills().size(), result.injectedKills().toString());
    assertEquals(4, result.restarts(), "every kill restarted its vertex, nothing else failed");
  }

  @ParameterizedTest
  @ValueSource(strings = {"checkpoint-replay", "persistent", "hybrid"})
  void everyCheckpointStrategyRecoversTheInjectedKillsExactly(String strategy) {
    StreamScopePipelineResult result =
        runKeyedSum(
            "--recoveryStrategy=" + strategy,
            "--checkpointIntervalMs=1",
            "--injectVertexFailures=4",
            "--failureInjectionSeed=11");
    assertEquals(PipelineResult.State.DONE, result.getState());
    assertEquals(4, result.injectedKills().size(), result.injectedKills().toString());
    assertEquals(4, result.restarts(), "every kill restarted its vertex, nothing else failed");
  }

  @Test
  void killsLandAtTheirSeededEventNotAtTheEndOfALongJob() {
    StreamScopePipelineResult result =
        runKeyedSum("--injectVertexFailures=3", "--failureInjectionSeed=5");
    // Moments are drawn up to the 4096th event; the vertices of the sum see 10,000 events or more
    // each, so a kill that waited for the end would be past it. (PAssert's see a few.)
    List<String> sumKills =
        result.injectedKills().stream().filter(kill -> !kill.startsWith("PAssert")).toList();
    assertTrue(sumKills.size() >= 1, result.injectedKills().toString());
    for (String kill : sumKills) {
      long event = Long.parseLong(kill.replaceAll(".* at its event (\\d+) .*", "$1"));
      assertTrue(event >= 1 && event <= 4096 && !kill.contains(", end of "), kill);
    }
    assertEquals(3, result.injectedKills().size());
  }

  @Test
  void theSameSeedKillsTheSameVerticesAtTheSameEvents() {
    List<String> first =
        sorted(runKeyedSum("--injectVertexFailures=3", "--failureInjectionSeed=23").injectedKills());
    List<String> second =
        sorted(runKeyedSum("--injectVertexFailures=3", "--failureInjectionSeed=23").injectedKills());
    List<String> otherSeed =
        sorted(runKeyedSum("--injectVertexFailures=3", "--failureInjectionSeed=24").injectedKills());
    assertEquals(first, second);
    assertNotEquals(first, otherSeed);
  }

  @Test
  void killsLandEvenInAPipelineThatFinishesInOneTurnPerVertex() {
    Pipeline p = pipeline("--injectVertexFailures=5", "--failureInjectionSeed=3");
    PCollection<KV<String, Integer>> sums =
        p.apply(Create.of(KV.of("a", 1), KV.of("b", 2), KV.of("a", 3))).apply(Sum.integersPerKey());
    PAssert.that(sums).containsInAnyOrder(KV.of("a", 4), KV.of("b", 2));
    StreamScopePipelineResult result = (StreamScopePipelineResult) p.run();
    assertEquals(5, result.injectedKills().size(), result.injectedKills().toString());
  }

  private static final class Discard extends DoFn<Long, Void> {
    @ProcessElement
    public void process(@Element Long element) {}
  }

  @Test
  void aJobOfOneStageWithoutStreamsIsKilledInItsSource() {
    Pipeline p = pipeline("--injectVertexFailures=2", "--failureInjectionSeed=2");
    p.apply(GenerateSequence.from(0).to(1_000)).apply(ParDo.of(new Discard()));
    StreamScopePipelineResult result = (StreamScopePipelineResult) p.run();
    assertEquals(2, result.injectedKills().size(), result.injectedKills().toString());
    assertTrue(
        result.injectedKills().stream().allMatch(kill -> kill.contains("its source")),
        result.injectedKills().toString());
  }

  private static final class FailOnFive extends DoFn<Long, Long> {
    @ProcessElement
    public void process(@Element Long element, OutputReceiver<Long> out) {
      if (element == 5) {
        throw new IllegalStateException("element five is not welcome");
      }
      out.output(element);
    }
  }

  @Test
  void anExceptionOfUserCodeStillFailsTheJobWithItself() {
    Pipeline p = pipeline("--injectVertexFailures=3", "--failureInjectionSeed=1");
    p.apply(GenerateSequence.from(0).to(100)).apply(ParDo.of(new FailOnFive()));
    Pipeline.PipelineExecutionException error =
        assertThrows(Pipeline.PipelineExecutionException.class, p::run);
    assertTrue(error.getCause() instanceof IllegalStateException, error.toString());
    assertEquals("element five is not welcome", error.getCause().getMessage());
  }

  @Test
  void invalidInjectionOptionsAreRejectedNamingTheOption() {
    IllegalArgumentException negative =
        assertThrows(IllegalArgumentException.class, () -> pipeline("--injectVertexFailures=-1").run());
    assertEquals("Invalid option --injectVertexFailures=-1: must be at least 0", negative.getMessage());
  }

  @Test
  void theWrappedGraphKeepsEveryStagesPropertiesButItsOperators() {
    java.util.function.IntFunction<dev.streamscope.vertex.Operator> noOperator =
        partition -> {
          throw new AssertionError("not created here");
        };
    dev.streamscope.vertex.graph.JobGraph graph =
        new dev.streamscope.vertex.graph.JobGraph()
            .add(new dev.streamscope.vertex.graph.StageSpec("Source", 2, List.of(), 1, noOperator, true))
            .add(
                new dev.streamscope.vertex.graph.StageSpec(
                    "Sink",
                    3,
                    List.of(
                        new dev.streamscope.vertex.graph.InputSpec(
                            "Source", 0, dev.streamscope.vertex.graph.EdgeKind.HASH)),
                    0,
                    noOperator,
                    false));
    FailureInjector injector = new FailureInjector(graph, 5, 7);
    dev.streamscope.vertex.graph.JobGraph wrapped = injector.wrap(graph);
    assertEquals(5, injector.planned());
    for (int i = 0; i < graph.stages().size(); i++) {
      dev.streamscope.vertex.graph.StageSpec before = graph.stages().get(i);
      dev.streamscope.vertex.graph.StageSpec after = wrapped.stages().get(i);
      // A stage that loses its nondeterministic flag loses its strong productions under kills.
      assertEquals(
          List.of(before.id(), before.parallelism(), before.inputs(), before.outputCount(), before.nondeterministic()),
          List.of(after.id(), after.parallelism(), after.inputs(), after.outputCount(), after.nondeterministic()));
    }
  }

  @Test
  void theWrappersDelegateEveryMethodOfWhatTheyWrap() throws Exception {
    // A default method left out would answer its default instead of the wrapped object's.
    assertDelegatesAll("KillPointStream", dev.streamscope.rstream.RStream.class);
    assertDelegatesAll("KillPointSource", dev.streamscope.vertex.SourceOperator.class);
  }

  private static void assertDelegatesAll(String wrapperName, Class<?> wrapped) throws Exception {
    Class<?> wrapper = Class.forName(FailureInjector.class.getName() + "$" + wrapperName);
    for (java.lang.reflect.Method method : wrapped.getMethods()) {
      // Declared by the wrapper or a class it extends (ForwardingRStream), never an interface.
      Class<?> declaring = wrapper.getMethod(method.getName(), method.getParameterTypes()).getDeclaringClass();
      assertTrue(!declaring.isInterface(), wrapperName + " leaves " + method.getName() + " to " + declaring);
    }
  }

  /** The kills in a fixed order, PAssert's steps unnumbered (Beam numbers them per JVM). */
  private static List<String> sorted(List<String> kills) {
    List<String> copy = new ArrayList<>();
    for (String kill : kills) {
      copy.add(kill.replaceAll("PAssert\\$\\d+", "PAssert"));
    }
    copy.sort(null);
    return copy;
  }
}
