package dev.streamscope.vertex;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamscope.rstream.InMemoryRStreamStore;
import dev.streamscope.vertex.graph.EdgeKind;
import dev.streamscope.vertex.graph.InputSpec;
import dev.streamscope.vertex.graph.JobGraph;
import dev.streamscope.vertex.graph.StageSpec;
import dev.streamscope.vertex.snapshot.InMemorySnapshotStore;
import dev.streamscope.vertex.snapshot.SnapshotStore;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * When a vertex snapshots, on a virtual clock ({@link ManualLauncher}): every checkpoint interval
 * while a snapshot costs little CPU, however long the thread waited for a CPU meanwhile; further
 * apart when it costs more than 1/20 of the interval in CPU; and a snapshot written while the
 * vertex was busy lets the next one be taken in the same turn. Each element costs the consumer 1
 * ms; the job's input lasts 2 s of virtual time.
 */
class SnapshotSpacingTest {
  private static final int EVENTS = 2_000;
  private static final long INTERVAL_MS = 100;

  private final ManualLauncher launcher = new ManualLauncher();
  /** The virtual time each snapshot of the consumer was taken at, in order. */
  private final List<Long> consumerSnapshotsAtMillis = new ArrayList<>();

  /** Sums its input; its snapshot takes {@code snapshotWallMs}, {@code snapshotCpuMs} of it on a CPU. */
  private final class CountingSink extends TestOperator.Snapshotting {
    private final long snapshotWallMs;
    private final long snapshotCpuMs;
    private long sum;

    CountingSink(long snapshotWallMs, long snapshotCpuMs) {
      this.snapshotWallMs = snapshotWallMs;
      this.snapshotCpuMs = snapshotCpuMs;
    }

    @Override
    public void processElement(int input, byte[] payload) {
      sum += ByteBuffer.wrap(payload).getInt();
      launcher.advance(1, 1);
    }

    @Override
    protected void writeState(DataOutputStream out) throws Exception {
      consumerSnapshotsAtMillis.add(launcher.nowMillis());
      launcher.advance(snapshotWallMs, snapshotCpuMs);
      out.writeLong(sum);
    }

    @Override
    protected void readState(DataInputStream in) throws Exception {
      sum = in.readLong();
    }
  }

  /**
   * Runs numbers 0..EVENTS-1 (bundles of 10) into one {@link CountingSink}; returns its sum.
   * {@code turnEventsMax}: how much of its input the sink may take in one turn.
   */
  private long run(long snapshotWallMs, long snapshotCpuMs, int turnEventsMax) throws Exception {
    CountingSink sink = new CountingSink(snapshotWallMs, snapshotCpuMs);
    JobGraph graph =
        new JobGraph()
            .add(new StageSpec("numbers", 1, List.of(), 1,
                p -> new SnapshotOperators.Range(0, EVENTS, 1, new AtomicBoolean(true))))
            .add(new StageSpec("sink", 1, List.of(new InputSpec("numbers", 0, EdgeKind.FORWARD)), 0,
                p -> sink));
    SnapshotStore snapshots = new InMemorySnapshotStore(3);
    Job job =
        Job.start(graph, new InMemoryRStreamStore(), launcher,
            new VertexConfig(10, turnEventsMax, 1L << 30, 5),
            RecoveryConfig.snapshots(0, snapshots, INTERVAL_MS, stage -> RecoveryStrategy.CHECKPOINT_REPLAY));
    launcher.runUntil(() -> job.completion().isDone(), 1_000_000);
    job.completion().get();
    return sink.sum;
  }

  @Test
  void aSnapshotThatWaitsLongForACpuButCostsLittleDoesNotPushTheNextOneBack() throws Exception {
    // Each snapshot: 500 ms of wall time, 1 ms of it on a CPU (a loaded machine).
    long sum = run(500, 1, 10);

    assertEquals((long) EVENTS * (EVENTS - 1) / 2, sum);
    // 2 s of input, every 100 ms; spacing by wall time would allow one per 10 s.
    assertTrue(consumerSnapshotsAtMillis.size() >= 10, "snapshots at " + consumerSnapshotsAtMillis);
    for (int i = 1; i < consumerSnapshotsAtMillis.size(); i++) {
      long gapMs = consumerSnapshotsAtMillis.get(i) - consumerSnapshotsAtMillis.get(i - 1);
      // Due an interval after it began, so taken at the first epoch's end after it returned.
      assertTrue(gapMs <= 500 + INTERVAL_MS, "snapshots at " + consumerSnapshotsAtMillis);
    }
  }

  @Test
  void aSnapshotThatCostsMoreThanAShareOfTheIntervalInCpuSpacesTheNextOnes() throws Exception {
    // 50 ms of CPU: the next one no sooner than 20 x 50 ms later.
    long sum = run(50, 50, 10);

    assertEquals((long) EVENTS * (EVENTS - 1) / 2, sum);
    assertTrue(consumerSnapshotsAtMillis.size() >= 2, "snapshots at " + consumerSnapshotsAtMillis);
    for (int i = 1; i < consumerSnapshotsAtMillis.size(); i++) {
      long gapMs = consumerSnapshotsAtMillis.get(i) - consumerSnapshotsAtMillis.get(i - 1);
      assertTrue(gapMs >= 20 * 50, "snapshots at " + consumerSnapshotsAtMillis);
    }
  }

  @Test
  void aSnapshotWrittenDuringALongTurnLetsTheNextOneBeTakenInThatTurn() throws Exception {
    // The source writes all its input first; the sink then takes it in one 2 s turn, while each
    // snapshot's write completion waits in its queue until the turn ends.
    long sum = run(0, 0, Integer.MAX_VALUE);

    assertEquals((long) EVENTS * (EVENTS - 1) / 2, sum);
    assertTrue(consumerSnapshotsAtMillis.size() >= 15, "snapshots at " + consumerSnapshotsAtMillis);
    for (int i = 1; i < consumerSnapshotsAtMillis.size(); i++) {
      long gapMs = consumerSnapshotsAtMillis.get(i) - consumerSnapshotsAtMillis.get(i - 1);
      assertTrue(gapMs <= INTERVAL_MS + 20, "snapshots at " + consumerSnapshotsAtMillis);
    }
  }
}
