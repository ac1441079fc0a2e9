package dev.streamscope.vertex;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamscope.rstream.InMemoryRStreamStore;
import dev.streamscope.vertex.graph.EdgeKind;
import dev.streamscope.vertex.graph.InputSpec;
import dev.streamscope.vertex.graph.JobGraph;
import dev.streamscope.vertex.graph.StageSpec;
import dev.streamscope.vertex.seams.VertexExecutor;
import dev.streamscope.vertex.seams.VertexLauncher;
import dev.streamscope.vertex.snapshot.InMemorySnapshotStore;
import dev.streamscope.vertex.vertx.VertxVertexLauncher;
import io.vertx.core.Vertx;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A strong-production vertex whose operator waits for a commit to act (bundle finalization
 * callbacks, {@link Operator#finalizationPending}) commits in the middle of a long input epoch
 * without output, between two elements, rather than only at the epoch's end; and at most once per
 * checkpoint interval, though every element registers something. Each element takes {@link
 * #ELEMENT_MILLIS} of the vertices' clock (a seam the test moves), so the epoch lasts many
 * intervals.
 */
class FinalizationCommitTest {
  private static final int ELEMENTS = 200;
  private static final long ELEMENT_MILLIS = 10;
  private static final long CHECKPOINT_INTERVAL_MS = 100;
  private static final VertexConfig CONFIG = new VertexConfig(50, 64, 1 << 20, 5);

  private Vertx vertx;
  /** Added to the system clock for every vertex: the time elements took. */
  private final AtomicLong clockOffsetMillis = new AtomicLong();
  private final AtomicReference<Finalizing> finalizing = new AtomicReference<>();

  @BeforeEach
  void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stopVertx() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** Emits everything it read at its input's end: its reader sees one epoch. */
  private static final class Gather extends TestOperator {
    private final List<byte[]> gathered = new ArrayList<>();

    @Override
    public void processElement(int input, byte[] payload) {
      gathered.add(payload);
    }

    @Override
    public void advanceWatermark(int input, long watermarkMillis) {
      if (watermarkMillis == Long.MAX_VALUE) {
        for (byte[] payload : gathered) {
          context.emit(0, 0, payload);
        }
        this.watermarkMillis = watermarkMillis; // Held back until then: one epoch downstream.
      }
    }
  }

  /**
   * Registers something to finalize with every element (it waits for the next snapshot), emits
   * nothing until its input ends; records how many elements it had processed at each stable
   * snapshot.
   */
  private final class Finalizing extends TestOperator.Snapshotting {
    final List<Long> processedAtStable = new ArrayList<>();
    long firstElementAtMillis = -1;
    long lastElementAtMillis;
    private long processed;
    private boolean pending;

    @Override
    public void processElement(int input, byte[] payload) {
      if (firstElementAtMillis < 0) {
        firstElementAtMillis = context.nowMillis();
      }
      clockOffsetMillis.addAndGet(ELEMENT_MILLIS);
      lastElementAtMillis = context.nowMillis();
      processed++;
      pending = true;
    }

    @Override
    public boolean finalizationPending() {
      return pending;
    }

    @Override
    protected void writeState(DataOutputStream out) throws Exception {
      pending = false; // What was registered belongs to this snapshot.
      out.writeLong(processed);
    }

    @Override
    public void stableUpTo(long snapshotVersion) {
      if (snapshotVersion != EVERYTHING) {
        processedAtStable.add(processed);
      }
    }

    @Override
    protected void readState(DataInputStream in) throws Exception {
      processed = in.readLong();
    }
  }

  /** Vert.x vertices whose clock reads the system clock plus {@link #clockOffsetMillis}. */
  private VertexLauncher launcher() {
    VertxVertexLauncher vertxLauncher = new VertxVertexLauncher(vertx);
    return new VertexLauncher() {
      @Override
      public CompletionStage<Launched> launch(
          String vertexId, Function<VertexExecutor, Runnable> start) {
        return vertxLauncher.launch(vertexId, executor -> start.apply(shifted(executor)));
      }
    };
  }

  private VertexExecutor shifted(VertexExecutor executor) {
    return new VertexExecutor() {
      @Override
      public long nowMillis() {
        return executor.nowMillis() + clockOffsetMillis.get();
      }

      @Override
      public void execute(Runnable task) {
        executor.execute(task);
      }

      @Override
      public long setTimer(long delayMs, Runnable task) {
        return executor.setTimer(delayMs, task);
      }

      @Override
      public void cancelTimer(long timerId) {
        executor.cancelTimer(timerId);
      }

      @Override
      public <T> CompletionStage<T> executeBlocking(Callable<T> task) {
        return executor.executeBlocking(task);
      }
    };
  }

  /** numbers -> gather -> finalizing (a strong production) -> collect, one partition each. */
  private JobGraph graph() {
    return new JobGraph()
        .add(new StageSpec("numbers", 1, List.of(), 1, p -> new SnapshotOperators.Range(0, ELEMENTS, 1, new AtomicBoolean(true))))
        .add(new StageSpec("gather", 1, List.of(new InputSpec("numbers", 0, EdgeKind.FORWARD)), 1, p -> new Gather()))
        .add(
            new StageSpec(
                "finalizing",
                1,
                List.of(new InputSpec("gather", 0, EdgeKind.FORWARD)),
                1,
                p -> {
                  Finalizing operator = new Finalizing();
                  finalizing.set(operator);
                  return operator;
                },
                true))
        .add(
            new StageSpec(
                "collect",
                1,
                List.of(new InputSpec("finalizing", 0, EdgeKind.FORWARD)),
                0,
                p -> new SnapshotOperators.Collector()));
  }

  @Test
  void aPendingFinalizationCommitsInTheMiddleOfALongEpochOncePerInterval() throws Exception {
    Job job =
        Job.start(
            graph(),
            new InMemoryRStreamStore(true),
            launcher(),
            CONFIG,
            RecoveryConfig.snapshots(
                0, new InMemorySnapshotStore(3), CHECKPOINT_INTERVAL_MS, stage -> RecoveryStrategy.RECOMPUTE));
    try {
      job.completion().get(60, TimeUnit.SECONDS);
    } finally {
      job.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    Finalizing operator = finalizing.get();
    List<Long> processedAtStable = operator.processedAtStable;
    assertTrue(
        processedAtStable.size() >= 2 && processedAtStable.get(0) < ELEMENTS,
        "snapshots were stable mid-epoch, after these many elements: " + processedAtStable);
    // One commit per interval at most, though every element registers something: the epoch took
    // at least ELEMENTS * ELEMENT_MILLIS of the vertex's clock, plus the real time it ran.
    long epochMillis = operator.lastElementAtMillis - operator.firstElementAtMillis;
    assertTrue(epochMillis >= (ELEMENTS - 1) * ELEMENT_MILLIS, "epoch of " + epochMillis + " ms");
    long commitsMax = epochMillis / CHECKPOINT_INTERVAL_MS + 1;
    assertTrue(
        processedAtStable.size() <= commitsMax,
        processedAtStable.size() + " commits in " + epochMillis + " ms, more than one per interval: "
            + processedAtStable);
    assertEquals(ELEMENTS, operator.processed);
  }
}
