package dev.streamscope.rstream.persist;

import static dev.streamscope.rstream.testing.TestFiles.event;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamscope.rstream.DeterminismViolationException;
import dev.streamscope.rstream.RStream;
import dev.streamscope.rstream.StreamEvent;
import dev.streamscope.rstream.segment.FlushMode;
import dev.streamscope.rstream.segment.StreamLog;
import dev.streamscope.rstream.testing.ExecutorStreamIo;
import dev.streamscope.rstream.testing.FaultyFileSystem;
import dev.streamscope.rstream.testing.TestFiles;
import java.io.File;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Persisted rStreams on a real HDFS (one {@link MiniDFSCluster} for the class, one datanode):
 * reads from every tier, a writer killed mid-batch, a datanode stopped and restarted under
 * writes, and garbage collection. Each "process" is its own {@link ExecutorStreamIo} and its own
 * HDFS client; killing one drops its queued work and abandons its open files.
 */
class MiniDfsRStreamTest {
  private static final Duration PATIENCE = Duration.ofSeconds(90);
  private static MiniDFSCluster cluster;
  private static Configuration conf;

  private final List<ExecutorStreamIo> ios = new ArrayList<>();
  private final List<FileSystem> clients = new ArrayList<>();
  private Path jobDir;

  @BeforeAll
  static void startCluster() throws IOException {
    conf = new Configuration();
    conf.setInt("dfs.replication", 1);
    conf.setBoolean("dfs.client.block.write.replace-datanode-on-failure.enable", false);
    conf.setInt("dfs.client.socket-timeout", 5_000);
    conf.setInt("dfs.client.block.write.locateFollowingBlock.retries", 2);
    File base = new File("target/minidfs-" + ProcessHandle.current().pid());
    cluster = new MiniDFSCluster.Builder(conf, base).numDataNodes(1).build();
    cluster.waitActive();
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.shutdown(true);
    }
  }

  @BeforeEach
  void jobDir(TestInfo test) {
    jobDir = new Path("/jobs/" + test.getTestMethod().orElseThrow().getName());
  }

  @AfterEach
  void stopProcesses() throws Exception {
    for (ExecutorStreamIo io : ios) {
      io.kill();
    }
    for (FileSystem client : clients) {
      client.close();
    }
  }

  /** A new "process": its own I/O threads and its own HDFS client (its own leases). */
  private HadoopRStreamStore process(RStreamOptions options, RegenerationHook hook) throws IOException {
    ExecutorStreamIo io = new ExecutorStreamIo(4);
    ios.add(io);
    FileSystem client = FileSystem.newInstance(cluster.getURI(), conf);
    clients.add(client);
    return new HadoopRStreamStore(client, jobDir, options, io, hook);
  }

  private ExecutorStreamIo lastIo() {
    return ios.get(ios.size() - 1);
  }

  private static void writeRange(RStream stream, long from, long to) {
    for (long seq = from; seq < to; seq++) {
      stream.write(event(seq));
    }
  }

  /** Reads {@code seq}, waiting (without sleeping) while it is loaded or regenerated. */
  private static StreamEvent awaitRead(RStream stream, long seq) {
    StreamEvent event = stream.read(seq);
    if (event != null) {
      return event;
    }
    return await()
        .pollInSameThread()
        .pollInterval(Duration.ofMillis(2))
        .atMost(PATIENCE)
        .until(() -> stream.read(seq), Objects::nonNull);
  }

  private static void assertEvent(long seq, StreamEvent actual) {
    assertNotNull(actual, "seq " + seq);
    assertTrue(event(seq).sameContent(actual), "seq " + seq + ": " + actual);
  }

  private static void awaitDurable(PersistentRStream stream, long seq) {
    await().atMost(PATIENCE).until(() -> stream.durableSeq() >= seq);
  }

  private PersistentRStream recover(HadoopRStreamStore store, String id) throws Exception {
    return store.recover(id, "P#0").toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  @Test
  void readsComeFromMemoryThenSegmentsThenRegeneration() throws Exception {
    String id = "tiers";
    RStreamOptions options =
        RStreamOptions.defaults().withBatch(4 << 10, 5).withMemoryBytesMax(20 << 10).withReadBytesMax(8 << 10);
    PersistentRStream stream = (PersistentRStream) process(options, RegenerationHook.NONE).open(id, "P#0");
    for (long seq = 0; seq < 3_000; seq += 100) {
      writeRange(stream, seq, seq + 100);
      stream.publish();
      assertEvent(seq + 99, stream.read(seq + 99)); // tier 1: visible from memory at once
    }
    awaitDurable(stream, 3_000);
    await().atMost(PATIENCE).until(() -> stream.residentBytes() <= (20 << 10) + 1024 * 80);
    assertNull(stream.read(0), "evicted after it became durable: tier 2");
    for (long seq = 0; seq < 3_000; seq++) {
      assertEvent(seq, awaitRead(stream, seq));
    }

    lastIo().kill(); // the writer's process dies
    ExecutorService producerThread = Executors.newSingleThreadExecutor();
    PersistentRStream[] recovered = new PersistentRStream[1];
    List<Long> requests = new ArrayList<>();
    RegenerationHook producer =
        (streamId, name, fromSeq) -> {
          requests.add(fromSeq);
          producerThread.execute(
              () -> {
                writeRange(recovered[0], 2_900, 3_100); // from its snapshot, duplicates included
                recovered[0].publish();
              });
        };
    try {
      recovered[0] = recover(process(options, producer), id);
      assertEquals(3_000, recovered[0].durableSeq());
      assertEvent(2_999, awaitRead(recovered[0], 2_999)); // tier 2 after a restart
      for (long seq = 3_000; seq < 3_100; seq++) {
        assertEvent(seq, awaitRead(recovered[0], seq)); // tier 3: regenerated
      }
      assertEquals(List.of(3_000L), requests);
      awaitDurable(recovered[0], 3_100);
    } finally {
      producerThread.shutdownNow();
    }
  }

  @Test
  void rewritesOfEvictedAndRecoveredSeqsAreCheckedAgainstHdfs() throws Exception {
    String id = "unique";
    RStreamOptions options =
        RStreamOptions.defaults().withBatch(4 << 10, 5).withMemoryBytesMax(1).withReadBytesMax(8 << 10);
    PersistentRStream stream = (PersistentRStream) process(options, RegenerationHook.NONE).open(id, "P#0");
    writeRange(stream, 0, 3_000);
    stream.publish();
    awaitDurable(stream, 3_000);
    await().atMost(PATIENCE).until(() -> stream.read(0) == null); // evicted
    writeRange(stream, 0, 2_048); // chunks [0, 1024) and [1024, 2048) are only on HDFS
    stream.publish();
    await().atMost(PATIENCE).until(() -> stream.rewritesCheckedOnDisk() == 2_048);
    stream.write(StreamEvent.data(7, "other".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    stream.publish();
    DeterminismViolationException violation =
        await().atMost(PATIENCE).until(() -> publishFailure(stream), Objects::nonNull);
    assertEquals(7, violation.seq());
    assertTrue(violation.getMessage().contains(id) && violation.getMessage().contains("P#0"), violation.getMessage());
    assertTrue(violation.getMessage().contains(event(7).toString()), violation.getMessage());
    lastIo().kill();

    PersistentRStream recovered = recover(process(options, RegenerationHook.NONE), id);
    writeRange(recovered, 1_000, 3_000); // nothing of it is in memory after the restart
    recovered.publish();
    await().atMost(PATIENCE).until(() -> recovered.rewritesCheckedOnDisk() == 2_000);
    recovered.write(StreamEvent.watermark(2_500, 1));
    recovered.publish();
    DeterminismViolationException again =
        await().atMost(PATIENCE).until(() -> publishFailure(recovered), Objects::nonNull);
    assertEquals(2_500, again.seq());
  }

  /** The violation the writer's next publish throws, or null if it does not throw. */
  private static DeterminismViolationException publishFailure(RStream stream) {
    try {
      stream.publish();
      return null;
    } catch (DeterminismViolationException e) {
      return e;
    }
  }

  @Test
  void sealedSegmentsAreRecoveredFromTheirIndexSidecars() throws Exception {
    FileSystem client = FileSystem.newInstance(cluster.getURI(), conf);
    clients.add(client);
    Path dir = new Path(jobDir, "indexed");
    StreamLog log = StreamLog.create(client, dir, "indexed", FlushMode.HFLUSH, 64 << 10);
    for (long seq = 0; seq < 5_000; seq = log.append(TestFiles::event, seq, Math.min(5_000, seq + 100), Long.MAX_VALUE).endSeq()) {
      // Rolls every 64 KiB; each sealed segment gets its sidecar.
    }
    log.closeActive();
    int segments = log.segmentCount();
    assertTrue(segments > 2, segments + " segments");
    StreamLog recovered = StreamLog.recover(client, dir, "indexed", FlushMode.HFLUSH, 64 << 10);
    assertEquals(segments, recovered.indexedAtRecovery(), "none was scanned");
    assertEquals(5_000, recovered.endSeq());
    for (long seq = 0; seq < 5_000; ) {
      for (StreamEvent event : recovered.read(seq, 5_000, 8 << 10)) {
        assertEvent(seq++, event);
      }
    }
  }

  /**
   * A full segment is closed beside the flush chain: while its close hangs (on HDFS a close takes
   * 400 ms or more even when all is well), later batches go on becoming durable in the next
   * segments, and all are readable from the segments; once the close returns, every segment is
   * sealed and recovery takes each from its sidecar.
   */
  @Test
  void batchesGoOnBecomingDurableWhileAFullSegmentIsClosed() throws Exception {
    String id = "rolling";
    long segmentBytesMax = 16 << 10;
    RStreamOptions options =
        RStreamOptions.defaults().withBatch(4 << 10, 5).withSegmentBytesMax(segmentBytesMax).withMemoryBytesMax(1);
    ExecutorStreamIo io = new ExecutorStreamIo(4);
    ios.add(io);
    FileSystem client = FileSystem.newInstance(cluster.getURI(), conf);
    clients.add(client);
    FaultyFileSystem faulty = new FaultyFileSystem(client);
    HadoopRStreamStore store = new HadoopRStreamStore(faulty, jobDir, options, io, RegenerationHook.NONE);
    PersistentRStream stream = (PersistentRStream) store.open(id, "P#0");
    faulty.holdCloses(true);
    try {
      writeRange(stream, 0, 5_000); // about 200 KB of records: a dozen segments
      stream.publish();
      awaitDurable(stream, 5_000);
      await().atMost(PATIENCE).until(() -> faulty.heldCloses() == 1); // the first seal hangs
      assertTrue(stream.segmentCount() > 5, stream.segmentCount() + " segments");
      for (long seq = 0; seq < 5_000; seq++) {
        assertEvent(seq, awaitRead(stream, seq)); // evicted: read back from unsealed segments
      }
      assertEquals(1, faulty.heldCloses(), "one seal at a time");
    } finally {
      faulty.holdCloses(false);
    }
    store.closeAsync().toCompletableFuture().get(60, TimeUnit.SECONDS);
    int segments = stream.segmentCount();
    StreamLog recovered = StreamLog.recover(client, store.streamDir(id), id, FlushMode.HFLUSH, segmentBytesMax);
    assertEquals(segments, recovered.indexedAtRecovery(), "every segment was sealed with its sidecar");
    assertEquals(5_000, recovered.endSeq());
  }

  @Test
  void aWriterKilledMidBatchLosesNothingAcknowledged() throws Exception {
    String id = "killed";
    RStreamOptions options =
        RStreamOptions.defaults()
            .withBatch(64 << 10, 20)
            .withSegmentBytesMax(512 << 10)
            .withBacklogBytesMax(256 << 10);
    PersistentRStream stream = (PersistentRStream) process(options, RegenerationHook.NONE).open(id, "P#0");
    long written = 0;
    while (stream.durableSeq() < 20_000) {
      writeRange(stream, written, written + 500);
      written += 500;
      stream.publish();
      if (stream.persistenceCongested()) { // back-pressure, as a source vertex does
        await().atMost(PATIENCE).until(() -> !stream.persistenceCongested());
      }
    }
    // The last batch, published but not yet durable when the writer dies. A flush (the batch's
    // timer, or one in flight re-planning) may make it durable before durableSeq() is read if this
    // thread waits for a CPU meanwhile; then another batch, until one is seen pending.
    long acknowledged = written;
    for (int batch = 0; acknowledged == written && batch < 10; batch++) {
      writeRange(stream, written, written + 500);
      written += 500;
      stream.publish();
      acknowledged = stream.durableSeq();
    }
    lastIo().kill(); // mid-batch: a flush may be in flight, more is queued
    assertTrue(acknowledged < written, acknowledged + " of " + written);

    PersistentRStream recovered = recover(process(options, RegenerationHook.NONE), id);
    assertTrue(recovered.durableSeq() >= acknowledged, recovered.durableSeq() + " < " + acknowledged);
    for (long seq = 0; seq < recovered.durableSeq(); seq++) {
      assertEvent(seq, awaitRead(recovered, seq));
    }
    writeRange(recovered, acknowledged, written); // the producer replays; duplicates are absorbed
    recovered.publish();
    awaitDurable(recovered, written);
    lastIo().kill();

    PersistentRStream again = recover(process(options, RegenerationHook.NONE), id);
    assertEquals(written, again.durableSeq());
    for (long seq = 0; seq < written; seq++) {
      assertEvent(seq, awaitRead(again, seq));
    }
  }

  @Test
  void aDatanodeStoppedUnderWritesFailsFlushesThatAreRetriedWithoutLoss() throws Exception {
    String id = "datanode";
    RStreamOptions options = RStreamOptions.defaults().withBatch(16 << 10, 5).withRetryDelayMs(50, 500);
    PersistentRStream stream = (PersistentRStream) process(options, RegenerationHook.NONE).open(id, "P#0");
    writeRange(stream, 0, 1_000);
    stream.publish();
    awaitDurable(stream, 1_000);

    MiniDFSCluster.DataNodeProperties datanode = cluster.stopDataNode(0);
    try {
      writeRange(stream, 1_000, 2_000);
      stream.publish();
      await().atMost(PATIENCE).until(() -> stream.persistenceError() != null);
      assertTrue(stream.durableSeq() < 2_000);
      assertEvent(1_999, stream.read(1_999)); // still served from memory
    } finally {
      cluster.restartDataNode(datanode, true);
      cluster.waitActive();
    }
    writeRange(stream, 2_000, 2_500);
    stream.publish();
    awaitDurable(stream, 2_500);
    assertNull(stream.persistenceError());
    assertTrue(stream.persistFailures() > 0);
    lastIo().kill();

    PersistentRStream recovered = recover(process(options, RegenerationHook.NONE), id);
    assertEquals(2_500, recovered.durableSeq());
    for (long seq = 0; seq < 2_500; seq++) {
      assertEvent(seq, awaitRead(recovered, seq));
    }
  }

  @Test
  void garbageCollectionKeepsHdfsUseBounded() throws Exception {
    String id = "gc";
    long segmentBytesMax = 16 << 10;
    RStreamOptions options =
        RStreamOptions.defaults().withBatch(2 << 10, 5).withSegmentBytesMax(segmentBytesMax);
    HadoopRStreamStore store = process(options, RegenerationHook.NONE);
    PersistentRStream stream = (PersistentRStream) store.open(id, "P#0");
    FileSystem fs = clients.get(clients.size() - 1);
    long bound = 3 * segmentBytesMax;
    for (long seq = 0; seq < 20_000; seq += 500) {
      writeRange(stream, seq, seq + 500);
      stream.publish();
      awaitDurable(stream, seq + 500);
      for (long read = seq; read < seq + 500; read++) {
        assertEvent(read, stream.read(read));
      }
      stream.releaseBelow(seq + 500);
      // The namenode reports a segment still open (rolled, its close beside the flush chain) at
      // its last block report, short of its bytes; the writer's own count is exact, and no write
      // comes before the next step, so once both are under the bound the live files only shrink.
      await("stream files within three segments after step " + seq)
          .atMost(PATIENCE)
          .until(
              () -> stream.diskBytes() <= bound
                  && fs.getContentSummary(store.streamDir(id)).getLength() <= bound);
    }
    assertTrue(stream.diskBytes() < 40L * 20_000, "far less than everything written");
  }
}
