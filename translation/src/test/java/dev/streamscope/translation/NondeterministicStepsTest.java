package dev.streamscope.translation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamscope.vertex.graph.StageSpec;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.testing.CrashingRunner;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.windowing.AfterProcessingTime;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Repeatedly;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which stages translation marks nondeterministic, and which it leaves deterministic. */
class NondeterministicStepsTest {
  @TempDir Path temp;

  private static Pipeline pipeline() {
    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(CrashingRunner.class);
    return Pipeline.create(options);
  }

  private static List<String> nondeterministicStages(Pipeline p, String... named) {
    return PipelineTranslator.translate(p, 2, List.of(named)).graph().stages().stream()
        .filter(StageSpec::nondeterministic)
        .map(StageSpec::id)
        .toList();
  }

  private static PCollection<KV<String, String>> keyed(Pipeline p) {
    return p.apply("Words", Create.of("a", "b", "c")).apply("Key", WithKeys.of("k"));
  }

  private static final class Identity extends DoFn<KV<String, String>, KV<String, String>> {
    @ProcessElement
    public void process(@Element KV<String, String> element, OutputReceiver<KV<String, String>> out) {
      out.output(element);
    }
  }

  private static final class Stable extends DoFn<KV<String, String>, KV<String, String>> {
    @RequiresStableInput
    @ProcessElement
    public void process(@Element KV<String, String> element, OutputReceiver<KV<String, String>> out) {
      out.output(element);
    }
  }

  private static final class Ungroup extends DoFn<KV<String, Iterable<String>>, KV<String, String>> {
    @ProcessElement
    public void process(
        @Element KV<String, Iterable<String>> group, OutputReceiver<KV<String, String>> out) {
      for (String value : group.getValue()) {
        out.output(KV.of(group.getKey(), value));
      }
    }
  }

  private static final class Acknowledging extends DoFn<KV<String, String>, KV<String, String>> {
    @ProcessElement
    public void process(
        @Element KV<String, String> element,
        BundleFinalizer finalizer,
        OutputReceiver<KV<String, String>> out) {
      finalizer.afterBundleCommit(BoundedWindow.TIMESTAMP_MAX_VALUE, () -> {});
      out.output(element);
    }
  }

  private static final class Later extends DoFn<KV<String, String>, String> {
    @TimerId("later")
    private final TimerSpec laterSpec = TimerSpecs.timer(TimeDomain.PROCESSING_TIME);

    @ProcessElement
    public void process(@Element KV<String, String> element, @TimerId("later") Timer later) {
      later.offset(Duration.standardSeconds(1)).setRelative();
    }

    @OnTimer("later")
    public void onLater(OutputReceiver<String> out) {
      out.output("later");
    }
  }

  @Test
  void deterministicStepsLeaveEveryStageDeterministic() {
    Pipeline p = pipeline();
    keyed(p).apply("Same", ParDo.of(new Identity())).apply("Group", GroupByKey.create());
    assertEquals(List.of(), nondeterministicStages(p));
  }

  @Test
  void aStepThatRequiresStableInputGetsAStageOfItsOwnMarkedNondeterministic() {
    Pipeline p = pipeline();
    keyed(p).apply("Stable", ParDo.of(new Stable())).apply("Same", ParDo.of(new Identity()));
    assertEquals(List.of("Stable/ParMultiDo(Stable)"), nondeterministicStages(p));
  }

  /** Its stage commits every epoch, so the callbacks run between epochs, once it is written. */
  @Test
  void aDoFnThatFinalizesBundlesMarksItsStageNondeterministic() {
    Pipeline p = pipeline();
    keyed(p)
        .apply("Group", GroupByKey.create())
        .apply("Ungroup", ParDo.of(new Ungroup()))
        .apply("Finalizing", ParDo.of(new Acknowledging()));
    assertEquals(List.of("Group"), nondeterministicStages(p), "the stage after the shuffle");
  }

  @Test
  void processingTimeTimersAreNondeterministicOnTheWallClockOnly() {
    Pipeline wallClock = pipeline();
    keyed(wallClock).apply("Later", ParDo.of(new Later()));
    assertEquals(List.of("Later/ParMultiDo(Later)"), nondeterministicStages(wallClock));

    Pipeline logical = pipeline();
    logical
        .apply("Events", TestStream.create(StringUtf8Coder.of()).addElements("a").advanceWatermarkToInfinity())
        .apply("Key", WithKeys.of("k"))
        .apply("Later", ParDo.of(new Later()));
    assertEquals(List.of(), nondeterministicStages(logical), "a TestStream makes processing time logical");
  }

  @Test
  void aProcessingTimeTriggerMakesItsGroupByKeyNondeterministic() {
    Pipeline p = pipeline();
    keyed(p)
        .apply(
            "Early",
            Window.<KV<String, String>>into(new GlobalWindows())
                .triggering(
                    Repeatedly.forever(
                        AfterProcessingTime.pastFirstElementInPane().plusDelayOf(Duration.millis(10))))
                .discardingFiredPanes())
        .apply("Group", GroupByKey.create());
    assertEquals(List.of("Group"), nondeterministicStages(p));
  }

  @Test
  void writeFilesMarksTheStagesThatWriteTemporaryFiles() {
    Pipeline sharded = pipeline();
    sharded
        .apply("Lines", Create.of("a", "b", "c"))
        .apply("Write", TextIO.write().to(temp.resolve("out").toString()).withNumShards(2));
    List<String> marked = nondeterministicStages(sharded);
    assertEquals(1, marked.size(), marked.toString());
    assertTrue(marked.get(0).startsWith("Write/WriteFiles/WriteShardedBundlesToTempFiles/GroupIntoShards"), marked.toString());

    Pipeline unsharded = pipeline();
    unsharded
        .apply("Lines", Create.of("a", "b", "c"))
        .apply("Write", TextIO.write().to(temp.resolve("out").toString()));
    marked = nondeterministicStages(unsharded);
    // The unsharded writer is fused into the stage producing the lines; the records it spills
    // past its writers per bundle are written after a GroupByKey.
    assertEquals(2, marked.size(), marked.toString());
    assertTrue(marked.get(0).startsWith("Lines"), marked.toString());
    assertTrue(
        marked.get(1).startsWith("Write/WriteFiles/WriteUnshardedBundlesToTempFiles/GroupUnwritten"),
        marked.toString());
  }

  @Test
  void theUserNamesStepsByPrefixAndAPrefixThatNamesNoStepIsAnError() {
    Pipeline p = pipeline();
    keyed(p).apply("Shuffle", GroupByKey.create());
    assertEquals(List.of("Shuffle"), nondeterministicStages(p, "Shuf"));

    Pipeline typo = pipeline();
    keyed(typo).apply("Shuffle", GroupByKey.create());
    IllegalArgumentException error =
        assertThrows(IllegalArgumentException.class, () -> nondeterministicStages(typo, "Shufle"));
    assertTrue(error.getMessage().contains("no step's name starts with 'Shufle'"), error.getMessage());
    assertTrue(error.getMessage().contains("Shuffle"), error.getMessage());
  }
}
