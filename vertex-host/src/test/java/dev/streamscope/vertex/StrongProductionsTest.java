package dev.streamscope.vertex;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamscope.rstream.DeterminismViolationException;
import dev.streamscope.rstream.InMemoryRStreamStore;
import dev.streamscope.rstream.RStream;
import dev.streamscope.rstream.StreamEvent;
import dev.streamscope.vertex.graph.EdgeKind;
import dev.streamscope.vertex.graph.InputSpec;
import dev.streamscope.vertex.graph.JobGraph;
import dev.streamscope.vertex.graph.StageSpec;
import dev.streamscope.vertex.snapshot.InMemorySnapshotStore;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Strong productions for real: a nondeterministic operator (it stamps each element with a number
 * from a counter whose base differs in every instance) is killed in the middle of an epoch. Marked
 * nondeterministic, the job completes and its consumer saw every element exactly once, each with a
 * stamp the killed instance or its replacement published, seq after seq with no gap; what the
 * killed instance held when it died was never published. Unmarked, the same kill fails the job with
 * a determinism violation that names the stage, the seq and both values.
 */
class StrongProductionsTest {
  private static final int END = 20_000;
  /** The element at which the first instance of the stamp stage kills itself, mid-epoch. */
  private static final int KILL_AT = END / 2 + 25;
  private static final VertexConfig CONFIG = new VertexConfig(50, 64, 1 << 20, 5);
  private static final String STREAM = JobGraph.streamId("stamp", 0, 0, "collect", 0, 0);

  @RegisterExtension final VertxJobs jobs = new VertxJobs();
  /** The job under test; an operator that kills its own vertex waits for it (it may run first). */
  private final CompletableFuture<Job> running = new CompletableFuture<>();
  private final List<Stamp> stamps = new ArrayList<>();
  private final AtomicReference<SnapshotOperators.Collector> collector = new AtomicReference<>();

  /**
   * Not a function of its input: emits {@code (value, base + n)} for its n-th element, where the
   * base is new in every instance (the instance number times a billion). Its state is n. The
   * first instance kills its vertex when it reaches {@link #KILL_AT}, in the middle of an epoch.
   */
  private final class Stamp extends TestOperator.Snapshotting {
    final int instance;
    final long base;
    long next;
    long emitted;

    Stamp(int instance) {
      this.instance = instance;
      this.base = instance * 1_000_000_000L;
    }

    @Override
    public void processElement(int input, byte[] payload) {
      int value = ByteBuffer.wrap(payload).getInt();
      context.emit(0, value, ByteBuffer.allocate(12).putInt(value).putLong(base + next++).array());
      emitted++;
      if (instance == 1 && value == KILL_AT) {
        running.join().kill("stamp#0"); // A crash: this turn finishes, nothing after it.
      }
    }

    @Override
    protected void writeState(DataOutputStream out) throws Exception {
      out.writeLong(next);
    }

    @Override
    protected void readState(DataInputStream in) throws Exception {
      next = in.readLong();
    }
  }

  /** numbers (a source) -> stamp (nondeterministic if {@code marked}) -> collect, one partition each. */
  private JobGraph graph(boolean marked) {
    AtomicInteger instances = new AtomicInteger();
    AtomicBoolean gateOpen = new AtomicBoolean(true);
    return new JobGraph()
        .add(new StageSpec("numbers", 1, List.of(), 1, p -> new SnapshotOperators.Range(0, END, 1, gateOpen)))
        .add(
            new StageSpec(
                "stamp",
                1,
                List.of(new InputSpec("numbers", 0, EdgeKind.FORWARD)),
                1,
                p -> {
                  Stamp stamp = new Stamp(instances.incrementAndGet());
                  synchronized (stamps) {
                    stamps.add(stamp);
                  }
                  return stamp;
                },
                marked))
        .add(
            new StageSpec(
                "collect",
                1,
                List.of(new InputSpec("stamp", 0, EdgeKind.FORWARD)),
                0,
                p -> {
                  SnapshotOperators.Collector c = new SnapshotOperators.Collector();
                  collector.set(c);
                  return c;
                }));
  }

  private Job start(boolean marked, InMemoryRStreamStore streams, RecoveryStrategy strategy) {
    Job job =
        jobs.start(
            graph(marked),
            streams,
            CONFIG,
            RecoveryConfig.snapshots(2, new InMemorySnapshotStore(3), 1_000, stage -> strategy));
    running.complete(job);
    return job;
  }

  @ParameterizedTest
  @EnumSource(names = {"RECOMPUTE", "HYBRID"})
  void aKilledNondeterministicVertexNeverContradictsWhatItPublished(RecoveryStrategy strategy)
      throws Exception {
    InMemoryRStreamStore streams = new InMemoryRStreamStore(true);
    Job job = start(true, streams, strategy);
    try {
      VertxJobs.awaitCompletion(job);
      assertEquals(1, job.restarts());
      assertTrue(job.restoredSnapshotVersion("stamp#0") > 0, "the replacement restored a snapshot");
    } finally {
      VertxJobs.stop(job);
    }

    // The stream as published: every seq holds an event, data then the end.
    RStream stream = streams.open(STREAM, "stamp#0");
    List<long[]> published = new ArrayList<>(); // (value, stamp) by seq
    List<String> seenAsPublished = new ArrayList<>();
    for (long seq = 0; seq < stream.nextSeq(); seq++) {
      StreamEvent event = stream.read(seq);
      assertNotNull(event, "no gap at seq " + seq);
      if (event.isData()) {
        ByteBuffer buffer = ByteBuffer.wrap(event.payload());
        published.add(new long[] {buffer.getInt(), buffer.getLong()});
        seenAsPublished.add(published.get(published.size() - 1)[0] + "=" + published.get(published.size() - 1)[1]);
      }
    }
    assertEquals(StreamEvent.Kind.END, stream.read(stream.nextSeq() - 1).kind());

    // The consumer saw exactly the published data, in seq order.
    List<String> seen = new ArrayList<>();
    for (String entry : collector.get().seen) {
      if (!entry.startsWith("wm")) {
        seen.add(entry);
      }
    }
    assertEquals(seenAsPublished, seen);

    // Every element once, in order; stamps of the killed instance (1) up to some count k, then
    // of its replacement (2), which restored k and counted on: no stamp twice, none skipped.
    assertEquals(2, stamps.size());
    Stamp killed = stamps.get(0);
    Stamp replacement = stamps.get(1);
    assertEquals(END, published.size());
    long fromKilled = published.stream().filter(p -> p[1] < replacement.base).count();
    assertTrue(fromKilled > 0 && fromKilled < END, "both instances published: " + fromKilled);
    for (int i = 0; i < END; i++) {
      long expectedStamp = (i < fromKilled ? killed.base : replacement.base) + i;
      assertEquals(i, published.get(i)[0], "element at position " + i);
      assertEquals(expectedStamp, published.get(i)[1], "stamp of element " + i);
    }
    assertTrue(
        killed.emitted > fromKilled,
        "the killed instance emitted " + killed.emitted + " but only " + fromKilled
            + " were committed: what it held when it died was never published");
  }

  @Test
  void unmarkedTheSameKillFailsTheJobNamingTheStageTheSeqAndBothValues() {
    Job job = start(false, new InMemoryRStreamStore(true), RecoveryStrategy.RECOMPUTE);
    try {
      ExecutionException error =
          assertThrows(ExecutionException.class, () -> job.completion().get(60, TimeUnit.SECONDS));
      VertexFailedException failure = assertInstanceOf(VertexFailedException.class, error.getCause());
      assertInstanceOf(DeterminismViolationException.class, failure.getCause());
      String message = failure.getMessage();
      assertEquals("stamp#0", failure.vertexId());
      assertTrue(message.contains("rStream " + STREAM + " at seq 0 (producer stamp#0)"), message);
      assertTrue(message.contains("it holds data#0(") && message.contains("now data#0("), message);
      assertTrue(message.contains("mark it so (the runner's --nondeterministicSteps)"), message);
    } finally {
      job.stop().toCompletableFuture().join();
    }
  }
}
