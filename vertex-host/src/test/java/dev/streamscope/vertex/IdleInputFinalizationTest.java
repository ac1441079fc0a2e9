package dev.streamscope.vertex;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamscope.rstream.InMemoryRStreamStore;
import dev.streamscope.vertex.graph.EdgeKind;
import dev.streamscope.vertex.graph.InputSpec;
import dev.streamscope.vertex.graph.JobGraph;
import dev.streamscope.vertex.graph.StageSpec;
import dev.streamscope.vertex.snapshot.InMemorySnapshotStore;
import dev.streamscope.vertex.vertx.VertxVertexLauncher;
import io.vertx.core.Vertx;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A strong-production vertex whose input is idle while its processing-time timers register
 * something to finalize ({@link Operator#finalizationPending}, as a splittable DoFn's resumes
 * register bundle finalization callbacks) commits, so that what they wait for happens: whether a
 * timer's turn stops early ({@link Operator#workLeft}), and the vertex goes on with the work at
 * once, or the next step waits for a later timer. Idle re-polls are an hour apart here: nothing
 * but the vertex itself may wake it up.
 */
class IdleInputFinalizationTest {
  private static final long CHECKPOINT_INTERVAL_MS = 10;
  private static final VertexConfig CONFIG = new VertexConfig(1, 64, 1 << 20, 5, 3_600_000);
  /** Steps the operator may take without being finalized (it gives up then). */
  private static final int ATTEMPTS = 1_000_000;

  private Vertx vertx;
  private final AtomicReference<Resuming> resuming = new AtomicReference<>();
  private final AtomicReference<SnapshotOperators.Collector> collector = new AtomicReference<>();

  @BeforeEach
  void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stopVertx() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /**
   * After its first element, a processing-time timer starts steps, each registering something to
   * finalize, until a snapshot after one is stable; the next step then emits and the work is done.
   * Like a splittable DoFn that resumes until a bundle was committed. With no delay between steps
   * a timer's turn takes one and leaves the rest as work left; else each step sets a timer for the
   * next one, {@code stepDelayMillis} later.
   */
  private static final class Resuming extends TestOperator.Snapshotting {
    private final long stepDelayMillis;
    volatile int steps;
    volatile boolean done;
    private long timerAtMillis = Long.MAX_VALUE;
    private boolean started;
    private boolean pending;
    /** A snapshot was taken while something was pending: finalized once it is stable. */
    private boolean covered;
    private boolean finalized;

    Resuming(long stepDelayMillis) {
      this.stepDelayMillis = stepDelayMillis;
    }

    @Override
    public void processElement(int input, byte[] payload) {
      if (!started) {
        started = true;
        timerAtMillis = context.nowMillis();
      }
    }

    @Override
    public long nextProcessingTimeMillis() {
      return timerAtMillis;
    }

    @Override
    public void advanceProcessingTime(long nowMillis) {
      if (nowMillis >= timerAtMillis) {
        timerAtMillis = Long.MAX_VALUE;
        step(); // One step, then it stops: the rest is work left, or waits for a timer.
        if (stepDelayMillis > 0 && !done) {
          timerAtMillis = nowMillis + stepDelayMillis;
        }
      }
    }

    @Override
    public boolean workLeft() {
      return stepDelayMillis == 0
          && started
          && !done
          && timerAtMillis == Long.MAX_VALUE
          && steps < ATTEMPTS;
    }

    @Override
    public void continueWork() {
      step();
    }

    private void step() {
      steps++;
      if (finalized) {
        context.emit(0, 0, ByteBuffer.allocate(12).putInt(0).putLong(steps).array());
        done = true;
      } else {
        pending = true;
      }
    }

    @Override
    public boolean finalizationPending() {
      return pending;
    }

    @Override
    protected void writeState(DataOutputStream out) {
      covered |= pending; // What was registered belongs to this snapshot.
      pending = false;
    }

    @Override
    public void stableUpTo(long snapshotVersion) {
      finalized |= covered;
    }

    @Override
    protected void readState(DataInputStream in) {}
  }

  /** numbers (one record, then idle until the gate opens) -> resuming (strong) -> collect. */
  private JobGraph graph(AtomicBoolean gateOpen, long stepDelayMillis) {
    return new JobGraph()
        .add(new StageSpec("numbers", 1, List.of(), 1, p -> new SnapshotOperators.Range(0, 2, 1, gateOpen, 1, 4)))
        .add(
            new StageSpec(
                "resuming",
                1,
                List.of(new InputSpec("numbers", 0, EdgeKind.FORWARD)),
                1,
                p -> {
                  Resuming operator = new Resuming(stepDelayMillis);
                  resuming.set(operator);
                  return operator;
                },
                true))
        .add(
            new StageSpec(
                "collect",
                1,
                List.of(new InputSpec("resuming", 0, EdgeKind.FORWARD)),
                0,
                p -> {
                  SnapshotOperators.Collector operator = new SnapshotOperators.Collector();
                  collector.set(operator);
                  return operator;
                }));
  }

  @Test
  void workLeftByAProcessingTimeTurnGoesOnAndCommitsWhileTheInputIsIdle() throws Exception {
    runUntilFinalized(0);
  }

  @Test
  void timersRegisteringSomethingToFinalizeCommitWhileTheInputIsIdle() throws Exception {
    runUntilFinalized(5);
  }

  private void runUntilFinalized(long stepDelayMillis) throws Exception {
    AtomicBoolean gateOpen = new AtomicBoolean(false);
    Job job =
        Job.start(
            graph(gateOpen, stepDelayMillis),
            new InMemoryRStreamStore(true),
            new VertxVertexLauncher(vertx),
            CONFIG,
            RecoveryConfig.snapshots(
                0, new InMemorySnapshotStore(3), CHECKPOINT_INTERVAL_MS, stage -> RecoveryStrategy.RECOMPUTE));
    try {
      Awaitility.await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> resuming.get() != null && resuming.get().done);
      gateOpen.set(true);
      job.completion().get(60, TimeUnit.SECONDS);
    } finally {
      job.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    Resuming operator = resuming.get();
    assertTrue(operator.steps >= 2 && operator.steps < ATTEMPTS, operator.steps + " steps");
    List<String> data =
        collector.get().seen.stream().filter(entry -> !entry.startsWith("wm")).toList();
    assertEquals(List.of("0=" + operator.steps), data, "the step after the finalization emitted");
  }
}
