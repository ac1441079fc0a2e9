package dev.streamscope.vertex;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamscope.rstream.InMemoryRStreamStore;
import dev.streamscope.vertex.graph.EdgeKind;
import dev.streamscope.vertex.graph.InputSpec;
import dev.streamscope.vertex.graph.JobGraph;
import dev.streamscope.vertex.graph.StageSpec;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class JobTest {
  private static final java.util.concurrent.atomic.AtomicBoolean GATE_OPEN =
      new java.util.concurrent.atomic.AtomicBoolean(true);
  /** A stage's inputs: both of {@link #evensAndOdds}, hash-partitioned. */
  private static final List<InputSpec> FROM_EVENS_AND_ODDS =
      List.of(new InputSpec("evens", 0, EdgeKind.HASH), new InputSpec("odds", 0, EdgeKind.HASH));

  @RegisterExtension final VertxJobs jobs = new VertxJobs();

  /** Records "input:value" in arrival order; fails on {@code poison}. */
  private static final class Recorder extends TestOperator {
    private final List<String> seen;
    private final int poison;

    Recorder(List<String> seen, int poison) {
      this.seen = seen;
      this.poison = poison;
    }

    @Override
    public void processElement(int input, byte[] payload) {
      int value = ByteBuffer.wrap(payload).getInt();
      if (value == poison) {
        throw new IllegalStateException("poisoned by " + value);
      }
      seen.add(input + ":" + value);
    }

    @Override
    public void advanceWatermark(int input, long watermarkMillis) {
      seen.add(input + ":wm" + (watermarkMillis == Long.MAX_VALUE ? "end" : watermarkMillis));
    }
  }

  /**
   * Sources "evens" (2 partitions) and "odds" (1) of the numbers below {@code end}, held at half
   * way while the gate is shut.
   */
  private static JobGraph evensAndOdds(int end) {
    return new JobGraph()
        .add(new StageSpec("evens", 2, List.of(), 1, p -> new SnapshotOperators.Range(2 * p, end, 4, GATE_OPEN)))
        .add(new StageSpec("odds", 1, List.of(), 1, p -> new SnapshotOperators.Range(1, end, 2, GATE_OPEN)));
  }

  private Map<Integer, List<String>> run(int poison, int bundleElementsMax) throws Exception {
    Map<Integer, List<String>> seen = new ConcurrentHashMap<>();
    JobGraph graph =
        evensAndOdds(4_000)
            .add(
                new StageSpec(
                    "record",
                    3,
                    FROM_EVENS_AND_ODDS,
                    0,
                    p -> {
                      List<String> list = Collections.synchronizedList(new ArrayList<>());
                      seen.put(p, list);
                      return new Recorder(list, poison);
                    }));
    jobs.run(graph, new InMemoryRStreamStore(), new VertexConfig(bundleElementsMax, 64, 1 << 20, 5));
    return seen;
  }

  @Test
  void hashEdgesDeliverEveryElementToItsKeysPartition() throws Exception {
    Map<Integer, List<String>> seen = run(-1, 64);
    int total = 0;
    for (Map.Entry<Integer, List<String>> partition : seen.entrySet()) {
      for (String event : partition.getValue()) {
        if (!event.contains("wm")) {
          int value = Integer.parseInt(event.substring(2));
          assertEquals(Math.floorMod(value, 3), partition.getKey(), event);
          assertEquals(value % 2 == 0 ? "0" : "1", event.substring(0, 1), event);
          total++;
        }
      }
      assertTrue(partition.getValue().contains("0:wmend"));
      assertTrue(partition.getValue().contains("1:wmend"));
    }
    assertEquals(4_000, total);
  }

  @Test
  void mergeOrderDependsOnStreamContentOnly() throws Exception {
    Map<Integer, List<String>> first = run(-1, 16);
    for (int attempt = 0; attempt < 3; attempt++) {
      assertEquals(first, run(-1, 16), "interleaving differed on attempt " + attempt);
    }
    assertNotEquals(first, run(-1, 17), "a different epoch size must change the interleaving");
  }

  /** Forwards every element (key hash = value) and emits a marker at each bundle end. */
  private static final class BundleMarker extends TestOperator {
    private int inBundle;

    @Override
    public void startBundle() {
      inBundle = 0;
    }

    @Override
    public void processElement(int input, byte[] payload) {
      inBundle++;
      context.emit(0, ByteBuffer.wrap(payload).getInt(), payload);
    }

    @Override
    public void finishBundle() {
      int marker = -1_000_000 - inBundle;
      context.emit(0, marker, ByteBuffer.allocate(4).putInt(marker).array());
    }

    /** Holds its output watermark at the start: its readers see only the end's. */
    @Override
    public long outputWatermark(int output) {
      return Long.MIN_VALUE;
    }
  }

  /** Logs every event written to every stream, in seq order; rewrites of a seq are counted. */
  private static final class RecordingStore implements dev.streamscope.rstream.RStreamStore {
    final Map<String, List<String>> written = new ConcurrentHashMap<>();

    /** A copy of what {@code streamId} was written so far (its writer may append meanwhile). */
    List<String> writtenTo(String streamId) {
      List<String> log = written.getOrDefault(streamId, List.of());
      synchronized (log) {
        return List.copyOf(log);
      }
    }
    final java.util.concurrent.atomic.AtomicLong rewrites = new java.util.concurrent.atomic.AtomicLong();
    private final InMemoryRStreamStore delegate;

    RecordingStore(boolean retainReleased) {
      delegate = new InMemoryRStreamStore(retainReleased);
    }

    @Override
    public dev.streamscope.rstream.RStream open(String streamId, String producer) {
      dev.streamscope.rstream.RStream stream = delegate.open(streamId, producer);
      List<String> log = written.computeIfAbsent(streamId, id -> Collections.synchronizedList(new ArrayList<>()));
      return (dev.streamscope.rstream.RStream)
          java.lang.reflect.Proxy.newProxyInstance(
              getClass().getClassLoader(),
              new Class<?>[] {dev.streamscope.rstream.RStream.class},
              (proxy, method, args) -> {
                if (method.getName().equals("write")) {
                  dev.streamscope.rstream.StreamEvent event = (dev.streamscope.rstream.StreamEvent) args[0];
                  if (event.seq() < stream.nextSeq()) {
                    rewrites.incrementAndGet();
                  } else {
                    log.add(event.seq() + ":" + event.kind() + ":"
                        + (event.isData() ? ByteBuffer.wrap(event.payload()).getInt() : event.watermarkMillis()));
                  }
                }
                try {
                  return method.invoke(stream, args);
                } catch (java.lang.reflect.InvocationTargetException e) {
                  throw e.getCause();
                }
              });
    }

    @Override
    public void close() {
      delegate.close();
    }
  }

  private Map<String, List<String>> streamsWritten(int turnEventsMax) throws Exception {
    return runMarked(turnEventsMax, null, new RecordingStore(false), 3_000).written;
  }

  /** Runs the marker job; if {@code victim} is set, kills it once it wrote 300 events. */
  private RecordingStore runMarked(int turnEventsMax, String victim, RecordingStore store, int end)
      throws Exception {
    JobGraph graph =
        evensAndOdds(end)
            .add(
                new StageSpec(
                    "mark",
                    3,
                    FROM_EVENS_AND_ODDS,
                    1,
                    p -> new BundleMarker()))
            .add(
                new StageSpec(
                    "sink",
                    2,
                    List.of(new InputSpec("mark", 0, EdgeKind.HASH)),
                    0,
                    p -> new Recorder(Collections.synchronizedList(new ArrayList<>()), -1)));
    GATE_OPEN.set(victim == null);
    Job job =
        jobs.start(
            graph,
            store,
            new VertexConfig(50, turnEventsMax, 1 << 20, 5),
            victim == null ? RecoveryConfig.none() : RecoveryConfig.recompute(2));
    try {
      if (victim != null) {
        org.awaitility.Awaitility.await()
            .atMost(java.time.Duration.ofSeconds(30))
            .until(
                () ->
                    store.written.entrySet().stream()
                            .filter(e -> e.getKey().startsWith(victim.replace("#", "/out0/p") + "->"))
                            .mapToInt(e -> e.getValue().size())
                            .sum()
                        >= 300);
        job.kill(victim);
        GATE_OPEN.set(true);
      }
      VertxJobs.awaitCompletion(job);
      if (victim != null) {
        assertEquals(1, job.restarts());
      }
    } finally {
      GATE_OPEN.set(true);
      VertxJobs.stop(job);
    }
    return store;
  }

  @Test
  void aKilledVertexRecomputesAndItsStreamsEndExactlyAsWithoutFailure() throws Exception {
    Map<String, List<String>> reference = runMarked(64, null, new RecordingStore(false), 20_000).written;
    for (String victim : List.of("mark#1", "evens#0")) {
      RecordingStore recovered = runMarked(64, victim, new RecordingStore(true), 20_000);
      assertTrue(recovered.rewrites.get() > 0, victim + ": the restarted vertex rewrote what it had written");
      assertEquals(reference, recovered.written, "after killing " + victim);
    }
  }

  @Test
  void whatAVertexWritesDoesNotDependOnTurnsOrScheduling() throws Exception {
    Map<String, List<String>> reference = streamsWritten(4_096);
    assertEquals(2 * 3 + 3 + 3 * 2, reference.size(), reference.keySet().toString());
    assertTrue(
        reference.values().stream().flatMap(List::stream).anyMatch(event -> event.contains(":DATA:-100")),
        "bundle markers are written");
    for (int turnEventsMax : new int[] {1, 3, 64}) {
      assertEquals(reference, streamsWritten(turnEventsMax), "turnEventsMax=" + turnEventsMax);
    }
  }

  @Test
  void outOfRestartsTheJobReportsTheVertexsOwnFailureNotTheKillThatCameLast() throws Exception {
    java.util.concurrent.atomic.AtomicBoolean firstInstance = new java.util.concurrent.atomic.AtomicBoolean(true);
    JobGraph graph =
        new JobGraph()
            .add(new StageSpec("numbers", 1, List.of(), 1, p -> new SnapshotOperators.Range(0, 4_000, 1, GATE_OPEN)))
            .add(
                new StageSpec(
                    "record",
                    1,
                    List.of(new InputSpec("numbers", 0, EdgeKind.HASH)),
                    0,
                    // The first instance fails on 7; the restarted one would not.
                    p -> new Recorder(
                        Collections.synchronizedList(new ArrayList<>()),
                        firstInstance.getAndSet(false) ? 7 : -1)));
    GATE_OPEN.set(false); // Holds the source at half way: the restarted instance cannot finish.
    Job job =
        jobs.start(
            graph, new InMemoryRStreamStore(true), new VertexConfig(50, 64, 1 << 20, 5), RecoveryConfig.recompute(1));
    try {
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> job.restarts() == 1);
      job.kill("record#0"); // The last straw: no restart left.
      ExecutionException error =
          assertThrows(ExecutionException.class, () -> job.completion().get(30, TimeUnit.SECONDS));
      VertexFailedException failure = assertInstanceOf(VertexFailedException.class, error.getCause());
      assertTrue(failure.getCause().getMessage().contains("poisoned by 7"), failure.getCause().toString());
    } finally {
      GATE_OPEN.set(true);
      VertxJobs.stop(job);
    }
  }

  @Test
  void anOperatorFailureFailsTheJobNamingTheVertex() {
    ExecutionException error = assertThrows(ExecutionException.class, () -> run(2_001, 64));
    VertexFailedException failure = assertInstanceOf(VertexFailedException.class, error.getCause());
    assertEquals("record#" + Math.floorMod(2_001, 3), failure.vertexId());
    assertTrue(failure.getCause().getMessage().contains("poisoned by 2001"));
  }

  @Test
  void aFinishedVertexAskedToRegenerateRewritesItsOutputFromTheStart() throws Exception {
    RecordingStore store = new RecordingStore(true);
    List<String> seen = Collections.synchronizedList(new ArrayList<>());
    JobGraph graph =
        new JobGraph()
            .add(new StageSpec("evens", 1, List.of(), 1, p -> new SnapshotOperators.Range(0, 2_000, 2, GATE_OPEN)))
            .add(new StageSpec("odds", 1, List.of(), 1, p -> new SnapshotOperators.Range(1, 2_000, 2, new java.util.concurrent.atomic.AtomicBoolean(true))))
            .add(
                new StageSpec(
                    "record",
                    1,
                    List.of(new InputSpec("evens", 0, EdgeKind.HASH), new InputSpec("odds", 0, EdgeKind.HASH)),
                    0,
                    p -> new Recorder(seen, -1)));
    GATE_OPEN.set(false); // The evens wait half way, so the recorder is still running.
    Job job = jobs.start(graph, store, new VertexConfig(50, 64, 1 << 20, 5), RecoveryConfig.recompute(2));
    try {
      String odds = "odds/out0/p0->record/in1/p0";
      org.awaitility.Awaitility.await()
          .atMost(java.time.Duration.ofSeconds(30))
          .until(() -> store.writtenTo(odds).stream().anyMatch(e -> e.contains(":END:")));
      job.regenerate("record#0"); // Running: it writes what it must anyway; nothing to do.
      job.regenerate("odds#0");
      org.awaitility.Awaitility.await()
          .atMost(java.time.Duration.ofSeconds(30))
          .until(() -> store.rewrites.get() >= store.writtenTo(odds).size());
      GATE_OPEN.set(true);
      VertxJobs.awaitCompletion(job);
    } finally {
      GATE_OPEN.set(true);
      VertxJobs.stop(job);
    }
    assertEquals(0, job.restarts(), "a regeneration is not a restart");
    assertEquals(2_000, seen.stream().filter(e -> !e.contains("wm")).distinct().count());
    assertEquals(2_000, seen.stream().filter(e -> !e.contains("wm")).count(), "nothing read twice");
    assertThrows(IllegalArgumentException.class, () -> job.regenerate("nobody#0"));
  }
}
