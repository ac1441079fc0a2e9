package dev.streamscope.translation.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamscope.translation.PipelineTranslator;
import dev.streamscope.vertex.Operator;
import dev.streamscope.vertex.SourceOperator;
import dev.streamscope.vertex.graph.StageSpec;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.LongStream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.CrashingRunner;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * A ParDo's bundle finalization callbacks ({@code DoFn.BundleFinalizer}) run only once the vertex
 * host says a snapshot taken after their bundle is stable ({@link Operator#stableUpTo}), in
 * registration order, each once, expired ones never; the last ones when everything is. A stage
 * restored from a snapshot registers the callbacks of its replayed bundles again and runs them
 * with its own later snapshots.
 */
class BundleFinalizationStageTest {
  private static final int RECORDS = 30;
  private static final long NOW_MILLIS = 1_000;
  /** Record 0's callback expires before the stage's clock reads {@link #NOW_MILLIS}. */
  private static final long EXPIRED_RECORD = 0;

  private static final Map<String, List<Long>> RAN = new ConcurrentHashMap<>();

  private final String log = UUID.randomUUID().toString();
  private final List<Long> ran = ran(log);

  private static List<Long> ran(String log) {
    return RAN.computeIfAbsent(log, l -> Collections.synchronizedList(new ArrayList<>()));
  }

  /** Registers, for every record, a callback that logs it (record 0's already expired). */
  private static final class RegisterCallbacks extends DoFn<Long, Long> {
    private final String log;

    RegisterCallbacks(String log) {
      this.log = log;
    }

    @ProcessElement
    public void process(@Element Long record, BundleFinalizer finalizer, OutputReceiver<Long> out) {
      Instant expiry = new Instant(record == EXPIRED_RECORD ? NOW_MILLIS - 1 : NOW_MILLIS + 1);
      finalizer.afterBundleCommit(expiry, () -> ran(log).add(record));
      out.output(record);
    }
  }

  /** Read and ParDo fused into the job's first stage. */
  private SourceOperator finalizingStage() throws Exception {
    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(CrashingRunner.class);
    Pipeline p = Pipeline.create(options);
    List<Long> values = LongStream.range(0, RECORDS).boxed().toList();
    p.apply("Read", Read.from(new ListUnboundedSource(values, true)))
        .apply("Finalize", ParDo.of(new RegisterCallbacks(log)))
        .apply("Observe", Reshuffle.viaRandomKey());
    StageSpec stage =
        PipelineTranslator.translate(p, 1).graph().stages().stream()
            .filter(s -> s.inputs().isEmpty())
            .findFirst()
            .orElseThrow();
    SourceOperator operator = (SourceOperator) stage.operatorFactory().apply(0);
    operator.open(FixedContext.discarding("Read", NOW_MILLIS));
    return operator;
  }

  private static void finishRead(SourceOperator stage) throws Exception {
    for (int bundles = 0; FixedContext.oneBundle(stage, 4) != SourceOperator.Status.DONE; bundles++) {
      assertTrue(bundles < RECORDS, "the read did not end");
    }
    stage.close();
  }

  private static List<Long> records(long fromInclusive, long toExclusive) {
    return LongStream.range(fromInclusive, toExclusive).boxed().toList();
  }

  @Test
  void callbacksRunOnlyOnceASnapshotAfterTheirBundleIsStable() throws Exception {
    SourceOperator first = finalizingStage();
    FixedContext.oneBundle(first, 4); // Records 0-3.
    FixedContext.snapshot(first, 1);
    FixedContext.oneBundle(first, 4); // 4-7.
    byte[] second = FixedContext.snapshot(first, 2);
    FixedContext.oneBundle(first, 4); // 8-11: after the last snapshot, lost with the crash below.
    assertEquals(List.of(), ran, "nothing is stable yet");
    FixedContext.stableUpTo(first, 1);
    assertEquals(records(1, 4), ran, "snapshot 1's bundle, without the expired record 0");
    FixedContext.stableUpTo(first, 2);
    FixedContext.stableUpTo(first, 2);
    assertEquals(records(1, 8), ran, "snapshot 2's bundle after 1's, each once");

    // The vertex dies; its new instance restores snapshot 2 and replays from record 8.
    SourceOperator restored = finalizingStage();
    restored.beginTurn();
    try {
      restored.restoreState(new DataInputStream(new ByteArrayInputStream(second)));
    } finally {
      restored.endTurn();
    }
    FixedContext.oneBundle(restored, 4); // 8-11 again: their callbacks are registered again.
    FixedContext.stableUpTo(restored, 2); // Not its own snapshot: runs nothing, twice or otherwise.
    assertEquals(records(1, 8), ran);
    FixedContext.snapshot(restored, 4);
    FixedContext.stableUpTo(restored, 4);
    assertEquals(records(1, 12), ran, "the replayed bundle's callbacks ran once");

    finishRead(restored);
    assertEquals(records(1, 12), ran, "the end waits until everything is stable");
    FixedContext.stableUpTo(restored, Operator.EVERYTHING);
    assertEquals(records(1, RECORDS), ran);
  }

  /** A stage without snapshots (recompute) runs its callbacks only when everything is stable. */
  @Test
  void withoutSnapshotsCallbacksRunOnlyWhenEverythingIsStable() throws Exception {
    SourceOperator stage = finalizingStage();
    finishRead(stage);
    assertEquals(List.of(), ran);
    FixedContext.stableUpTo(stage, Operator.EVERYTHING);
    assertEquals(records(1, RECORDS), ran);
  }
}
