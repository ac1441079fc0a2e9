package dev.streamscope.vertex;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamscope.rstream.InMemoryRStreamStore;
import dev.streamscope.vertex.graph.EdgeKind;
import dev.streamscope.vertex.graph.InputSpec;
import dev.streamscope.vertex.graph.JobGraph;
import dev.streamscope.vertex.graph.StageSpec;
import dev.streamscope.vertex.snapshot.SnapshotStore;
import java.io.DataOutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link Operator#stableUpTo}: the vertex host tells an operator that its snapshots are stable
 * only after they were written (and their outputs durable), in growing versions, once each, never
 * for a snapshot the instance restored from, and, after the end, once with {@link
 * Operator#EVERYTHING} (a vertex without snapshots with that only).
 */
class SnapshotStableTest {
  private static final int END = 4_000;
  private static final String SOURCE = "src#0";

  @RegisterExtension final VertxJobs jobs = new VertxJobs();
  private final List<String> log = Collections.synchronizedList(new ArrayList<>());
  private final AtomicBoolean gateOpen = new AtomicBoolean(true);
  private final AtomicInteger instances = new AtomicInteger();
  private final SnapshotOperators.Collector collector = new SnapshotOperators.Collector();

  /**
   * Emits 0..END-1 (held at half way while the gate is shut) and logs, with its instance number,
   * every snapshot it takes and every stability it is told of.
   */
  private final class LoggingSource extends SnapshotOperators.Range {
    private final int instance = instances.incrementAndGet();

    LoggingSource() {
      super(0, END, 1, gateOpen);
    }

    /** {@code (value, value)}: what a {@link SnapshotOperators.Collector} reads. */
    @Override
    protected byte[] payload(int value) {
      return ByteBuffer.allocate(12).putInt(value).putLong(value).array();
    }

    @Override
    public void close() {
      log.add(instance + " close");
    }

    @Override
    public void snapshotState(long snapshotVersion, DataOutputStream out) throws Exception {
      super.snapshotState(snapshotVersion, out);
      log.add(instance + " snapshot " + snapshotVersion);
    }

    @Override
    public void stableUpTo(long snapshotVersion) {
      log.add(instance + " stable " + (snapshotVersion == EVERYTHING ? "everything" : snapshotVersion));
    }
  }

  private JobGraph graph() {
    return new JobGraph()
        .add(new StageSpec("src", 1, List.of(), 1, p -> new LoggingSource()))
        .add(
            new StageSpec(
                "collect", 1, List.of(new InputSpec("src", 0, EdgeKind.HASH)), 0, p -> collector));
  }

  /** Logs "written v" once a snapshot of the source has landed; holds writes while {@code land} is shut. */
  private SnapshotStore loggingStore(CountDownLatch writing, CountDownLatch land) {
    return new ForwardingSnapshotStore() {
      @Override
      public void write(String vertexId, long version, byte[] payload) throws java.io.IOException {
        if (vertexId.equals(SOURCE)) {
          writing.countDown();
          try {
            assertTrue(land.await(60, TimeUnit.SECONDS));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException();
          }
        }
        super.write(vertexId, version, payload);
        if (vertexId.equals(SOURCE)) {
          log.add("written " + version);
        }
      }
    };
  }

  private Job start(SnapshotStore store) {
    return jobs.start(
        graph(),
        new InMemoryRStreamStore(true),
        new VertexConfig(50, 64, 1 << 20, 5),
        RecoveryConfig.snapshots(2, store, 1, stage -> RecoveryStrategy.HYBRID));
  }

  /**
   * Checks the log: each "stable v" after "written v" and after every earlier stable version of
   * any instance; "everything" once, last, after the close of the instance that finished.
   */
  private List<Long> checkLog() {
    List<String> lines = new ArrayList<>(log);
    List<Long> stable = new ArrayList<>();
    long last = 0;
    for (int i = 0; i < lines.size(); i++) {
      String[] words = lines.get(i).split(" ");
      if (words.length == 3 && words[1].equals("stable") && !words[2].equals("everything")) {
        long version = Long.parseLong(words[2]);
        assertTrue(version > last, "stable " + version + " after stable " + last + ": " + lines);
        assertTrue(
            lines.subList(0, i).contains("written " + version),
            "stable " + version + " before it was written: " + lines);
        last = version;
        stable.add(version);
      }
    }
    List<String> everything = lines.stream().filter(l -> l.endsWith(" stable everything")).toList();
    assertEquals(1, everything.size(), lines.toString());
    String instance = everything.get(0).split(" ")[0];
    assertEquals(everything.get(0), lines.get(lines.size() - 1), lines.toString());
    assertTrue(lines.contains(instance + " close"), lines.toString());
    return stable;
  }

  @Test
  void noSnapshotIsStableBeforeItIsWritten() throws Exception {
    CountDownLatch writing = new CountDownLatch(1);
    CountDownLatch land = new CountDownLatch(1);
    Job job = start(loggingStore(writing, land));
    try {
      assertTrue(writing.await(30, TimeUnit.SECONDS), "the source started a snapshot");
      // Everything reaches the collector while the first snapshot hangs: nothing is stable yet.
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> collector.seen.contains("wmend"));
      assertFalse(job.completion().isDone(), "the job waits for the source's snapshot");
      assertTrue(
          log.stream().noneMatch(line -> line.contains(" stable ")), "stable before written: " + log);
      land.countDown();
      VertxJobs.awaitCompletion(job);
      checkLog();
    } finally {
      land.countDown();
      VertxJobs.stop(job);
    }
  }

  /** Without snapshots (recompute), only the end is stable: once, after the close. */
  @Test
  void aVertexWithoutSnapshotsIsToldOnlyOfEverything() throws Exception {
    Job job =
        jobs.start(
            graph(), new InMemoryRStreamStore(true), new VertexConfig(50, 64, 1 << 20, 5),
            RecoveryConfig.recompute(0));
    try {
      VertxJobs.awaitCompletion(job);
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> log.contains("1 stable everything"));
      assertEquals(List.of("1 close", "1 stable everything"), List.copyOf(log));
    } finally {
      VertxJobs.stop(job);
    }
  }

  @Test
  void aRestoredInstanceIsToldOnlyOfItsOwnSnapshotsAndTheOutputIsExact() throws Exception {
    CountDownLatch landAtOnce = new CountDownLatch(0);
    gateOpen.set(false); // The source holds at half way, so the kill lands mid-job.
    Job job = start(loggingStore(new CountDownLatch(1), landAtOnce));
    try {
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> log.contains("1 stable 1"));
      job.kill(SOURCE);
      gateOpen.set(true);
      VertxJobs.awaitCompletion(job);
      assertEquals(1, job.restarts());
      long restored = job.restoredSnapshotVersion(SOURCE);
      assertTrue(restored > 0, "the source restarted from a snapshot");
      List<Long> stable = checkLog();
      List<String> lines = new ArrayList<>(log);
      assertTrue(
          lines.stream().noneMatch(l -> l.equals("2 stable " + restored)),
          "the restored snapshot " + restored + " is stable again: " + lines);
      assertTrue(stable.contains(1L), lines.toString());
      assertTrue(lines.contains("2 stable everything"), lines.toString());
    } finally {
      gateOpen.set(true);
      VertxJobs.stop(job);
    }
    List<String> data = collector.seen.stream().filter(s -> !s.startsWith("wm")).toList();
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < END; i++) {
      expected.add(i + "=" + i);
    }
    assertEquals(expected, data, "every element once, in order, across the restore");
  }
}
