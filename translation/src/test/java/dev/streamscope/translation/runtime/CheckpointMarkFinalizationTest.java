package dev.streamscope.translation.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamscope.translation.PipelineTranslator;
import dev.streamscope.vertex.Operator;
import dev.streamscope.vertex.SourceOperator;
import dev.streamscope.vertex.graph.StageSpec;
import java.io.DataInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.CrashingRunner;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.junit.jupiter.api.Test;

/**
 * A Read stage finalizes its source's checkpoint marks only once the vertex host says a snapshot
 * holding them is stable ({@link Operator#stableUpTo}), each once and in order, the last ones
 * when everything is; a restored stage does not finalize the marks it was restored from.
 */
class CheckpointMarkFinalizationTest {
  private static final int RECORDS = 30;

  private final String log = UUID.randomUUID().toString();
  private final List<Integer> finalized = ListUnboundedSource.finalized(log);

  private SourceOperator readStage(boolean limited) {
    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(CrashingRunner.class);
    Pipeline p = Pipeline.create(options);
    List<Long> values = new ArrayList<>();
    for (long i = 0; i < RECORDS; i++) {
      values.add(i * 10);
    }
    Read.Unbounded<Long> read = Read.from(new ListUnboundedSource(values, true, log));
    (limited ? p.apply("Read", read.withMaxNumRecords(RECORDS)) : p.apply("Read", read))
        .apply("Observe", Reshuffle.viaRandomKey());
    StageSpec stage =
        PipelineTranslator.translate(p, 1).graph().stages().stream()
            .filter(s -> s.inputs().isEmpty())
            .findFirst()
            .orElseThrow();
    return (SourceOperator) stage.operatorFactory().apply(0);
  }

  /** Reads in bundles of 4 with snapshots, "crashes", restores the newest stable one, finishes. */
  private void readCrashAndFinish(boolean limited) throws Exception {
    SourceOperator first = readStage(limited);
    first.open(FixedContext.discarding("Read", 1_000));
    FixedContext.oneBundle(first, 4);
    FixedContext.snapshot(first, 1);
    FixedContext.oneBundle(first, 4);
    FixedContext.snapshot(first, 2);
    assertEquals(List.of(), finalized, "nothing is stable yet");
    FixedContext.stableUpTo(first, 1);
    assertEquals(List.of(4), finalized);
    FixedContext.oneBundle(first, 4);
    byte[] third = FixedContext.snapshot(first, 3);
    FixedContext.oneBundle(first, 4); // Read after the last snapshot: lost with the crash, read again.
    FixedContext.stableUpTo(first, 3);
    assertEquals(List.of(4, 8, 12), finalized, "2 and 3, in order");

    SourceOperator restored = readStage(limited);
    restored.open(FixedContext.discarding("Read", 1_000));
    restored.beginTurn();
    try {
      restored.restoreState(new DataInputStream(new java.io.ByteArrayInputStream(third)));
    } finally {
      restored.endTurn();
    }
    FixedContext.snapshot(restored, 5); // Before it read anything: its restored mark is not finalized again.
    FixedContext.stableUpTo(restored, 5);
    assertEquals(List.of(4, 8, 12), finalized);
    FixedContext.oneBundle(restored, 4);
    FixedContext.snapshot(restored, 6);
    FixedContext.stableUpTo(restored, 6);
    assertEquals(List.of(4, 8, 12, 16), finalized);
    for (int bundles = 0; FixedContext.oneBundle(restored, 4) != SourceOperator.Status.DONE; bundles++) {
      assertTrue(bundles < RECORDS, "the read did not end");
    }
    restored.close();
    assertEquals(List.of(4, 8, 12, 16), finalized, "the end waits until everything is stable");
    FixedContext.stableUpTo(restored, Operator.EVERYTHING);
    assertEquals(List.of(4, 8, 12, 16, RECORDS), finalized);
  }

  @Test
  void anUnboundedReadFinalizesMarksOnlyOnceStable() throws Exception {
    readCrashAndFinish(false);
  }

  @Test
  void aBoundedReadOfAnUnboundedSourceFinalizesMarksOnlyOnceStable() throws Exception {
    readCrashAndFinish(true);
  }
}
