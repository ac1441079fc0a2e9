package dev.streamscope.translation.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamscope.translation.PipelineTranslator;
import dev.streamscope.vertex.Operator;
import dev.streamscope.vertex.OperatorContext;
import dev.streamscope.vertex.graph.StageSpec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.io.range.OffsetRange;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.testing.CrashingRunner;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.splittabledofn.RestrictionTracker;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.util.construction.SplittableParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * A splittable DoFn that registers a bundle finalization callback at every call and resumes until
 * one ran (as Beam's SplittableDoFnTest#testBundleFinalizationOccursOnUnboundedSplittableDoFn):
 * once its input ended every residual is due at once, and its stage must still stop between two
 * resumes, so that the vertex host can commit and run the callback. While a callback waits, each
 * call into the stage resumes one residual; once it ran the DoFn outputs its element and stops.
 */
class SplittableBundleFinalizationTest {
  /** Calls the DoFn may make without being finalized (it stops without output then). */
  private static final long ATTEMPTS = 50;
  private static final long NOW_MILLIS = 1_000;

  private static final Map<String, AtomicInteger> CALLS = new ConcurrentHashMap<>();
  private static final Map<String, AtomicBoolean> FINALIZED = new ConcurrentHashMap<>();

  private final String run = UUID.randomUUID().toString();
  private final List<KV<String, String>> emitted = new ArrayList<>();

  /** Claims one position per call and resumes; once finalized, outputs its element and stops. */
  @DoFn.UnboundedPerElement
  private static final class ResumeUntilFinalized extends DoFn<String, KV<String, String>> {
    private final String run;

    ResumeUntilFinalized(String run) {
      this.run = run;
    }

    @GetInitialRestriction
    public OffsetRange initial() {
      return new OffsetRange(0, ATTEMPTS);
    }

    @ProcessElement
    public ProcessContinuation process(
        @Element String element,
        RestrictionTracker<OffsetRange, Long> tracker,
        BundleFinalizer finalizer,
        OutputReceiver<KV<String, String>> out) {
      CALLS.computeIfAbsent(run, r -> new AtomicInteger()).incrementAndGet();
      AtomicBoolean finalized = FINALIZED.computeIfAbsent(run, r -> new AtomicBoolean());
      if (!tracker.tryClaim(tracker.currentRestriction().getFrom())) {
        return ProcessContinuation.stop(); // Never finalized: no output.
      }
      if (finalized.get()) {
        out.output(KV.of(element, element));
        tracker.tryClaim(Long.MAX_VALUE);
        return ProcessContinuation.stop();
      }
      finalizer.afterBundleCommit(new Instant(Long.MAX_VALUE / 2), () -> finalized.set(true));
      return ProcessContinuation.resume();
    }
  }

  /** The stage running the splittable DoFn, with the coders of its input and output. */
  private record SdfStage(Operator operator, Coder<WindowedValue<?>> input, Coder<WindowedValue<?>> output) {}

  private SdfStage sdfStage() throws Exception {
    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(CrashingRunner.class);
    Pipeline p = Pipeline.create(options);
    p.apply("Elements", Create.of("foo"))
        .apply("Sdf", ParDo.of(new ResumeUntilFinalized(run)))
        .apply("Observe", Reshuffle.viaRandomKey()); // An edge: the stage outputs the DoFn's output.
    StageSpec stage =
        PipelineTranslator.translate(p, 1).graph().stages().stream()
            .filter(s -> s.id().contains("ProcessKeyedElements"))
            .findFirst()
            .orElseThrow();
    Coder<WindowedValue<?>>[] coders = coders(p);
    Operator operator = stage.operatorFactory().apply(0);
    operator.open(context(coders[1]));
    return new SdfStage(operator, coders[0], coders[1]);
  }

  /** Full coders of the keyed restrictions ProcessKeyedElements reads and of what it outputs. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Coder<WindowedValue<?>>[] coders(Pipeline translated) {
    Coder<WindowedValue<?>>[] coders = new Coder[2];
    translated.traverseTopologically(
        new Pipeline.PipelineVisitor.Defaults() {
          @Override
          public void visitPrimitiveTransform(TransformHierarchy.Node node) {
            if (node.getTransform() instanceof SplittableParDo.ProcessKeyedElements) {
              coders[0] = fullCoder(node.getInputs().values().iterator().next());
              coders[1] = fullCoder(node.getOutputs().values().iterator().next());
            }
          }
        });
    return coders;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Coder<WindowedValue<?>> fullCoder(PValue value) {
    PCollection<?> collection = (PCollection<?>) value;
    return (Coder)
        WindowedValues.getFullCoder(
            collection.getCoder(), collection.getWindowingStrategy().getWindowFn().windowCoder());
  }

  /** A clock that does not move: processing time fires no resume, only the watermark does. */
  private OperatorContext context(Coder<WindowedValue<?>> outputCoder) {
    return new FixedContext("Sdf", NOW_MILLIS, (output, keyHash, payload) -> {
      try {
        @SuppressWarnings("unchecked")
        KV<String, String> kv =
            (KV<String, String>) CoderUtils.decodeFromByteArray(outputCoder, payload).getValue();
        emitted.add(kv);
      } catch (Exception e) {
        throw new AssertionError("undecodable output", e);
      }
    });
  }

  /** One bundle: the keyed restriction of "foo", then the end of the input (watermark MAX). */
  private static void seedAndEndInput(SdfStage stage) throws Exception {
    byte[] restriction =
        CoderUtils.encodeToByteArray(
            stage.input(),
            WindowedValues.valueInGlobalWindow(
                KV.of(new byte[] {7}, KV.of("foo", new OffsetRange(0, ATTEMPTS)))));
    inTurn(
        stage,
        () -> {
          stage.operator().startBundle();
          stage.operator().processElement(0, restriction);
          stage.operator().advanceWatermark(0, Long.MAX_VALUE);
          stage.operator().finishBundle();
        });
  }

  /** As the vertex host: a bundle in which the stage goes on with its work left, once. */
  private static void continueOnce(SdfStage stage) throws Exception {
    inTurn(
        stage,
        () -> {
          stage.operator().startBundle();
          stage.operator().continueWork();
          stage.operator().finishBundle();
        });
  }

  private static byte[] snapshot(SdfStage stage, long version) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    inTurn(stage, () -> stage.operator().snapshotState(version, new DataOutputStream(bytes)));
    return bytes.toByteArray();
  }

  private static void stableUpTo(SdfStage stage, long version) throws Exception {
    inTurn(stage, () -> stage.operator().stableUpTo(version));
  }

  private interface Work {
    void run() throws Exception;
  }

  private static void inTurn(SdfStage stage, Work work) throws Exception {
    stage.operator().beginTurn();
    try {
      work.run();
    } finally {
      stage.operator().endTurn();
    }
  }

  private int calls() {
    return CALLS.computeIfAbsent(run, r -> new AtomicInteger()).get();
  }

  private boolean finalized() {
    return FINALIZED.computeIfAbsent(run, r -> new AtomicBoolean()).get();
  }

  @Test
  void resumesStopWhileACallbackWaitsAndGoOnOnceItRan() throws Exception {
    SdfStage stage = sdfStage();
    seedAndEndInput(stage);
    assertEquals(2, calls(), "the first call and one resume, not every attempt in one go");
    assertTrue(stage.operator().workLeft(), "the other resumes wait");
    assertTrue(stage.operator().finalizationPending());
    assertEquals(List.of(), emitted);

    for (int call = 3; call <= 5; call++) {
      continueOnce(stage);
      assertEquals(call, calls(), "one resume per call while the callback waits");
      assertTrue(stage.operator().workLeft());
    }
    assertTrue(stage.operator().outputWatermark(0) < Long.MAX_VALUE, "residuals hold the watermark");

    snapshot(stage, 1);
    assertFalse(finalized(), "not before the snapshot is stable");
    stableUpTo(stage, 1);
    assertTrue(finalized());

    continueOnce(stage);
    assertEquals(6, calls());
    assertEquals(List.of(KV.of("foo", "foo")), emitted, "the element once finalized, once");
    assertFalse(stage.operator().workLeft());
    assertEquals(Long.MAX_VALUE, stage.operator().outputWatermark(0), "no residual holds it");
    stage.operator().close();
    stableUpTo(stage, Operator.EVERYTHING);
  }

  /** A snapshot taken between two resumes saves the residual due; the restored stage resumes it. */
  @Test
  void aRestoredStageResumesWhatWasDue() throws Exception {
    SdfStage first = sdfStage();
    seedAndEndInput(first);
    byte[] saved = snapshot(first, 1); // The vertex dies before the snapshot is stable.
    int callsBefore = calls();

    SdfStage restored = sdfStage();
    inTurn(restored, () -> restored.operator().restoreState(
        new DataInputStream(new ByteArrayInputStream(saved))));
    assertTrue(restored.operator().workLeft(), "the residual due was restored");
    continueOnce(restored); // Registers a callback again, in the restored stage.
    assertEquals(callsBefore + 1, calls());
    snapshot(restored, 2);
    stableUpTo(restored, 2);
    assertTrue(finalized());
    while (restored.operator().workLeft()) {
      continueOnce(restored);
      assertTrue(calls() < ATTEMPTS, "the restored residual never stopped");
    }
    assertEquals(List.of(KV.of("foo", "foo")), emitted);
    assertEquals(Long.MAX_VALUE, restored.operator().outputWatermark(0));
  }
}
