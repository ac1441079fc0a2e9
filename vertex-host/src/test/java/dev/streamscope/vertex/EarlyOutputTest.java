package dev.streamscope.vertex;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamscope.rstream.InMemoryRStreamStore;
import dev.streamscope.vertex.graph.EdgeKind;
import dev.streamscope.vertex.graph.InputSpec;
import dev.streamscope.vertex.graph.JobGraph;
import dev.streamscope.vertex.graph.StageSpec;
import dev.streamscope.vertex.snapshot.InMemorySnapshotStore;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Output crosses to readers while the vertex that wrote it, or the one upstream of it, is still
 * busy: a vertex publishes an epoch's elements before its watermark timers run; a vertex making
 * strong productions merges its inputs by arrival, so an idle input does not hold back the
 * others; and it commits a pane that a processing-time timer fired in the middle of an input
 * epoch. Each test blocks an operator (or keeps a source silent) and shows what a reader sees
 * meanwhile, then releases it and checks the output is exact.
 */
class EarlyOutputTest {
  private static final VertexConfig CONFIG = new VertexConfig(50, 64, 1 << 20, 5);
  /** What a positive wait allows; a behaviour that is missing fails the test after this. */
  private static final Duration WAIT_MAX = Duration.ofSeconds(30);

  @RegisterExtension final VertxJobs jobs = new VertxJobs();
  /** Released by the test (and in tearDown): a blocked operator waits for it. */
  private final CountDownLatch release = new CountDownLatch(1);
  /** Counted down by an operator once it blocks on {@link #release}. */
  private final CountDownLatch blocked = new CountDownLatch(1);
  /** The job under test; an operator that kills its own vertex waits for it (it may run first). */
  private final CompletableFuture<Job> running = new CompletableFuture<>();

  @AfterEach
  void releaseBlockedOperator() {
    release.countDown(); // Before Vert.x closes: a blocked vertex would hold up its close.
  }

  /** Blocks the calling vertex thread until the test releases it. */
  private void blockUntilReleased() throws InterruptedException {
    blocked.countDown();
    if (!release.await(60, TimeUnit.SECONDS)) {
      throw new IllegalStateException("the test never released the blocked operator");
    }
  }

  private static byte[] pair(int first, long second) {
    return ByteBuffer.allocate(12).putInt(first).putLong(second).array();
  }

  /** A {@link SnapshotOperators.Collector}'s data entries ({@code a=b}) as pairs, watermarks left out. */
  private static List<long[]> pairs(SnapshotOperators.Collector collector) {
    List<long[]> pairs = new ArrayList<>();
    synchronized (collector.seen) {
      for (String entry : collector.seen) {
        if (!entry.startsWith("wm")) {
          int at = entry.indexOf('=');
          pairs.add(new long[] {Long.parseLong(entry.substring(0, at)), Long.parseLong(entry.substring(at + 1))});
        }
      }
    }
    return pairs;
  }

  private static StageSpec collect(String id, String from, AtomicReference<SnapshotOperators.Collector> into) {
    return new StageSpec(
        id,
        1,
        List.of(new InputSpec(from, 0, EdgeKind.FORWARD)),
        0,
        p -> {
          SnapshotOperators.Collector collector = new SnapshotOperators.Collector();
          into.set(collector);
          return collector;
        });
  }

  // --- 1. An epoch's elements are published before its watermark timers run ---

  /**
   * Forwards each element as {@code (value, value)}; its first watermark advance blocks until
   * the test releases it, as a timer flushing to a slow outside system would.
   */
  private final class SlowTimers extends TestOperator {
    private final AtomicBoolean firstAdvance = new AtomicBoolean(true);

    @Override
    public void processElement(int input, byte[] payload) {
      int value = ByteBuffer.wrap(payload).getInt();
      context.emit(0, value, pair(value, value));
    }

    @Override
    public void advanceWatermark(int input, long watermarkMillis) throws InterruptedException {
      if (firstAdvance.getAndSet(false)) {
        blockUntilReleased();
      }
      // Passes no watermark on: its output's stays at the start until the end.
    }
  }

  @Test
  void aReaderSeesAnEpochsElementsWhileItsWatermarkTimersStillRun() throws Exception {
    int end = 200; // Epochs of 50 (the source's bundles): one turn (64 events) reads a whole one.
    AtomicReference<SnapshotOperators.Collector> collector = new AtomicReference<>();
    JobGraph graph =
        new JobGraph()
            .add(new StageSpec("numbers", 1, List.of(), 1, p -> new SnapshotOperators.Range(0, end, 1, new AtomicBoolean(true))))
            .add(new StageSpec("timers", 1, List.of(new InputSpec("numbers", 0, EdgeKind.FORWARD)), 1, p -> new SlowTimers()))
            .add(collect("collect", "timers", collector));
    InMemoryRStreamStore streams = new InMemoryRStreamStore();
    Job job = jobs.start(graph, streams, CONFIG);
    try {
      assertTrue(blocked.await(30, TimeUnit.SECONDS), "the first watermark advance started");
      // The turn that read the first epoch is stuck in its watermark advance: what the epoch's
      // elements emitted reaches the reader all the same.
      List<Long> firstEpoch = new ArrayList<>();
      for (long value = 0; value < CONFIG.sourceBundleElementsMax(); value++) {
        firstEpoch.add(value);
      }
      Awaitility.await()
          .atMost(WAIT_MAX)
          .until(() -> collector.get() != null && pairs(collector.get()).size() == firstEpoch.size());
      assertEquals(firstEpoch, pairs(collector.get()).stream().map(p -> p[0]).toList());
      assertEquals(
          firstEpoch.size(),
          streams.open(JobGraph.streamId("timers", 0, 0, "collect", 0, 0), "timers#0").publishedSeq(),
          "published: the epoch's elements, not its punctuation (its timers have not finished)");

      release.countDown();
      VertxJobs.awaitCompletion(job);
      List<Long> all = new ArrayList<>();
      for (long value = 0; value < end; value++) {
        all.add(value);
      }
      assertEquals(all, pairs(collector.get()).stream().map(p -> p[0]).toList(), "every element once, in order");
    } finally {
      release.countDown();
      VertxJobs.stop(job);
    }
  }

  // --- 2. Strong productions merge by arrival: an idle input holds nothing back ---

  /**
   * A source partition that got no data yet: emits {@code first, first + step, ...} below {@code
   * end} once its gate opens, and until then nothing at all, not even a watermark.
   */
  private static final class SilentUntilOpen extends SnapshotOperators.Range {
    SilentUntilOpen(int first, int end, int step, AtomicBoolean gateOpen) {
      super(first, end, step, gateOpen, first, 4);
    }

    @Override
    public long outputWatermark(int output) {
      long watermarkMillis = super.outputWatermark(output);
      // Silent until its first element: no punctuation either (unless it has nothing to send).
      return next == first && watermarkMillis != Long.MAX_VALUE ? Long.MIN_VALUE : watermarkMillis;
    }
  }

  /**
   * Emits {@code (value, n)} for its n-th element, so its output shows the order it merged its
   * inputs in; n is its state. Kills its own vertex when it reaches {@code killAt} (if >= 0).
   */
  private final class Numbering extends TestOperator.Snapshotting {
    private final int killAt;
    private long n;

    Numbering(int killAt) {
      this.killAt = killAt;
    }

    @Override
    public void processElement(int input, byte[] payload) {
      int value = ByteBuffer.wrap(payload).getInt();
      context.emit(0, value, pair(value, n++));
      if (value == killAt) {
        running.join().kill(context.stageId() + "#" + context.partition()); // A crash mid-epoch.
      }
    }

    @Override
    protected void writeState(DataOutputStream out) throws Exception {
      out.writeLong(n);
    }

    @Override
    protected void readState(DataInputStream in) throws Exception {
      n = in.readLong();
    }
  }

  /**
   * numbers (2 partitions: #0 the odds, silent until {@code idleGate} opens; #1 the evens, held
   * at half way until {@code busyGate} opens) -> "early" (Numbering, marked nondeterministic) and
   * "ordered" (Numbering, unmarked), each read by a collector. Both read numbers#0 first in their
   * cyclic merge order. The first instance of early kills itself at {@code killAt} (if >= 0).
   */
  @ParameterizedTest(name = "killMidWay={0}")
  @ValueSource(booleans = {false, true})
  void aStrongProductionVertexDoesNotWaitForAnIdleInputAndItsOutputStaysExact(boolean killMidWay)
      throws Exception {
    int end = 2_000;
    int half = end / 2; // The evens below it come while the odds stay silent.
    int killAt = killMidWay ? half / 2 : -1; // An even, in the middle of the first half.
    AtomicBoolean idleGate = new AtomicBoolean(false);
    AtomicBoolean busyGate = new AtomicBoolean(false);
    AtomicInteger earlyInstances = new AtomicInteger();
    AtomicReference<SnapshotOperators.Collector> early = new AtomicReference<>();
    AtomicReference<SnapshotOperators.Collector> ordered = new AtomicReference<>();
    InputSpec fromNumbers = new InputSpec("numbers", 0, EdgeKind.HASH);
    JobGraph graph =
        new JobGraph()
            .add(
                new StageSpec(
                    "numbers", 2, List.of(), 1,
                    p -> p == 0
                        ? new SilentUntilOpen(1, end, 2, idleGate)
                        : new SnapshotOperators.Range(0, end, 2, busyGate)))
            .add(
                new StageSpec(
                    "early", 1, List.of(fromNumbers), 1,
                    p -> new Numbering(earlyInstances.incrementAndGet() == 1 ? killAt : -1),
                    true))
            .add(new StageSpec("ordered", 1, List.of(fromNumbers), 1, p -> new Numbering(-1)))
            .add(collect("collectEarly", "early", early))
            .add(collect("collectOrdered", "ordered", ordered));
    Job job =
        jobs.start(
            graph,
            new InMemoryRStreamStore(true),
            CONFIG,
            RecoveryConfig.snapshots(1, new InMemorySnapshotStore(3), 1_000, stage -> RecoveryStrategy.HYBRID));
    running.complete(job);
    try {
      // The odds are silent: the strong-production vertex still takes and exposes every even sent
      // so far (after its restart too, if killed), numbered in arrival order.
      List<long[]> expectedEarly = new ArrayList<>();
      for (int value = 0; value < half; value += 2) {
        expectedEarly.add(new long[] {value, expectedEarly.size()});
      }
      Awaitility.await()
          .atMost(WAIT_MAX)
          .until(() -> early.get() != null && pairs(early.get()).size() >= expectedEarly.size());
      assertPairsEqual(expectedEarly, pairs(early.get()), "early, the odds silent");
      // The deterministic stage waits for its turn on the silent input: it took none of them.
      assertEquals(0, job.consumedEvents("ordered#0"), "ordered consumed nothing while the odds are silent");
      assertTrue(pairs(ordered.get()).isEmpty(), "ordered emitted nothing while the odds are silent");

      idleGate.set(true);
      busyGate.set(true);
      VertxJobs.awaitCompletion(job);
      if (killMidWay) {
        assertEquals(1, job.restarts());
        assertTrue(job.restoredSnapshotVersion("early#0") > 0, "early restarted from a committed snapshot");
      } else {
        assertEquals(0, job.restarts());
      }

      assertExactlyOnceInSourceOrder(pairs(early.get()), end, "early");
      List<long[]> orderedPairs = pairs(ordered.get());
      assertExactlyOnceInSourceOrder(orderedPairs, end, "ordered");
      // The fixed merge began with the silent input's first epoch, though the evens came first.
      for (int i = 0; i < CONFIG.sourceBundleElementsMax(); i++) {
        assertEquals(2 * i + 1, orderedPairs.get(i)[0], "ordered element " + i);
      }
    } finally {
      idleGate.set(true);
      busyGate.set(true);
      VertxJobs.stop(job);
    }
  }

  private static void assertPairsEqual(List<long[]> expected, List<long[]> actual, String what) {
    assertEquals(
        expected.stream().map(p -> p[0] + "=" + p[1]).toList(),
        actual.stream().map(p -> p[0] + "=" + p[1]).toList(),
        what);
  }

  /**
   * {@code (value, n)} pairs: every value below {@code end} exactly once, the evens and the odds
   * each in their source's order, and n counting 0, 1, 2, ... with no gap or repeat (the numbering
   * state always went with the positions it came from).
   */
  private static void assertExactlyOnceInSourceOrder(List<long[]> pairs, int end, String what) {
    assertEquals(end, pairs.size(), what + ": one output per element");
    long[] nextOfParity = {0, 1};
    for (int i = 0; i < pairs.size(); i++) {
      long value = pairs.get(i)[0];
      int parity = (int) (value % 2);
      assertEquals(nextOfParity[parity], value, what + ": element " + i);
      nextOfParity[parity] += 2;
      assertEquals(i, pairs.get(i)[1], what + ": number of element " + i);
    }
  }

  // --- 3. A strong-production vertex commits a processing-time pane fired mid-epoch ---

  /** Forwards each element; blocks before the element {@code blockAt} until the test releases it. */
  private final class Feed extends TestOperator {
    private final int blockAt;

    Feed(int blockAt) {
      this.blockAt = blockAt;
    }

    @Override
    public void processElement(int input, byte[] payload) throws InterruptedException {
      int value = ByteBuffer.wrap(payload).getInt();
      if (value == blockAt) {
        blockUntilReleased();
      }
      context.emit(0, value, payload);
    }
  }

  /**
   * A processing-time trigger: buffers elements and, a millisecond of processing time after the
   * first one it buffered, emits a pane {@code (count, sum)} of them; the rest at the input's end.
   */
  private static final class Panes extends TestOperator.Snapshotting {
    private int count;
    private long sum;
    private long paneAtMillis = Long.MAX_VALUE;

    @Override
    public void processElement(int input, byte[] payload) {
      if (count == 0) {
        paneAtMillis = context.nowMillis() + 1;
      }
      count++;
      sum += ByteBuffer.wrap(payload).getInt();
    }

    @Override
    public long nextProcessingTimeMillis() {
      return paneAtMillis;
    }

    @Override
    public void advanceProcessingTime(long nowMillis) {
      if (nowMillis >= paneAtMillis) {
        emitPane();
      }
    }

    @Override
    public void advanceWatermark(int input, long watermarkMillis) throws Exception {
      super.advanceWatermark(input, watermarkMillis);
      if (watermarkMillis == Long.MAX_VALUE && count > 0) {
        emitPane();
      }
    }

    private void emitPane() {
      context.emit(0, count, pair(count, sum));
      count = 0;
      sum = 0;
      paneAtMillis = Long.MAX_VALUE;
    }

    @Override
    protected void writeState(DataOutputStream out) throws Exception {
      out.writeInt(count);
      out.writeLong(sum);
      out.writeLong(paneAtMillis);
    }

    @Override
    protected void readState(DataInputStream in) throws Exception {
      count = in.readInt();
      sum = in.readLong();
      paneAtMillis = in.readLong();
    }
  }

  @Test
  void aPaneFiredByProcessingTimeMidEpochIsVisibleBeforeTheUpstreamEpochEnds() throws Exception {
    int end = 200;
    // Feed publishes at the end of each turn of 4 events: 0..19 go out, then it blocks at 20, in
    // the middle of the source's first epoch (0..49), so its readers get no punctuation.
    int blockAt = 20;
    VertexConfig config = CONFIG.withTurnEventsMax(4);
    AtomicReference<SnapshotOperators.Collector> collector = new AtomicReference<>();
    JobGraph graph =
        new JobGraph()
            .add(new StageSpec("numbers", 1, List.of(), 1, p -> new SnapshotOperators.Range(0, end, 1, new AtomicBoolean(true))))
            .add(new StageSpec("feed", 1, List.of(new InputSpec("numbers", 0, EdgeKind.FORWARD)), 1, p -> new Feed(blockAt)))
            .add(new StageSpec("panes", 1, List.of(new InputSpec("feed", 0, EdgeKind.FORWARD)), 1, p -> new Panes(), true))
            .add(collect("collect", "panes", collector));
    InMemoryRStreamStore streams = new InMemoryRStreamStore();
    Job job =
        jobs.start(
            graph,
            streams,
            config,
            RecoveryConfig.snapshots(0, new InMemorySnapshotStore(3), 1_000, stage -> RecoveryStrategy.HYBRID));
    try {
      assertTrue(blocked.await(30, TimeUnit.SECONDS), "feed blocked in the middle of its epoch");
      // The panes' input epoch is open (no punctuation came), yet each pane is committed and
      // exposed: all of 0..19 reach the reader, in panes that partition them in order.
      Awaitility.await()
          .atMost(WAIT_MAX)
          .until(() -> collector.get() != null && countOf(pairs(collector.get())) == blockAt);
      assertPanesPartitionAPrefix(pairs(collector.get()));
      assertEquals(
          blockAt,
          streams.open(JobGraph.streamId("feed", 0, 0, "panes", 0, 0), "feed#0").publishedSeq(),
          "feed published 0..19 and no punctuation: the panes' input epoch is still open");

      release.countDown();
      VertxJobs.awaitCompletion(job);
      List<long[]> panes = pairs(collector.get());
      assertPanesPartitionAPrefix(panes);
      assertEquals(end, countOf(panes), "every element in exactly one pane");
    } finally {
      release.countDown();
      VertxJobs.stop(job);
    }
  }

  private static long countOf(List<long[]> panes) {
    return panes.stream().mapToLong(p -> p[0]).sum();
  }

  /**
   * Panes {@code (count, sum)} over 0, 1, 2, ...: each non-empty, and the sum of each the sum of
   * the next {@code count} numbers (no element lost, repeated or reordered across panes).
   */
  private static void assertPanesPartitionAPrefix(List<long[]> panes) {
    long next = 0;
    for (long[] pane : panes) {
      assertTrue(pane[0] > 0, "an empty pane");
      long expectedSum = 0;
      for (long i = 0; i < pane[0]; i++) {
        expectedSum += next++;
      }
      assertEquals(expectedSum, pane[1], "pane of " + pane[0] + " ending before " + next);
    }
  }
}
