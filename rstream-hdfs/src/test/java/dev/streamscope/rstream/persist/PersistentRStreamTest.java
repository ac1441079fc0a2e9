package dev.streamscope.rstream.persist;

import static dev.streamscope.rstream.testing.TestFiles.event;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamscope.rstream.DeterminismViolationException;
import dev.streamscope.rstream.InMemoryRStream;
import dev.streamscope.rstream.RStream;
import dev.streamscope.rstream.StreamEvent;
import dev.streamscope.rstream.segment.CorruptSegmentException;
import dev.streamscope.rstream.segment.PayloadFormat;
import dev.streamscope.rstream.segment.SegmentFormat;
import dev.streamscope.rstream.segment.SegmentIndexFile;
import dev.streamscope.rstream.segment.SegmentScanner;
import dev.streamscope.rstream.testing.FaultyFileSystem;
import dev.streamscope.rstream.testing.ManualStreamIo;
import dev.streamscope.rstream.testing.TestFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A persisted stream on the raw local file system, stepped through a {@link ManualStreamIo}. */
class PersistentRStreamTest {
  private static final String ID = "Source/out0/p0->Sink/in0/p0";
  private static final String PRODUCER = "Source#0";

  @TempDir java.nio.file.Path temp;
  private FileSystem fs;
  private ManualStreamIo io;

  @BeforeEach
  void setUp() throws IOException {
    fs = TestFiles.rawLocal();
    io = new ManualStreamIo();
  }

  private HadoopRStreamStore store(StreamIo_ io, RStreamOptions options, RegenerationHook hook) {
    return new HadoopRStreamStore(fs, new Path(temp.toUri().toString(), "job"), options, io.io, hook);
  }

  /** Names the binding so a test can swap in a fresh one after a crash. */
  private record StreamIo_(ManualStreamIo io) {}

  private HadoopRStreamStore store(RStreamOptions options) {
    return store(new StreamIo_(io), options, RegenerationHook.NONE);
  }

  private static RStreamOptions options() {
    return RStreamOptions.defaults().withBatch(1 << 20, 10);
  }

  private static void writeRange(RStream stream, long from, long to) {
    for (long seq = from; seq < to; seq++) {
      stream.write(event(seq));
    }
  }

  /**
   * After {@code io.crash()}: a recovered stream is durable up to {@code durableSeq} and reads back
   * exactly what was written from {@code fromSeq} on (loading its segments as it goes).
   */
  private void assertRecoveredHolds(long fromSeq, long durableSeq) throws Exception {
    ManualStreamIo restarted = new ManualStreamIo();
    PersistentRStream recovered =
        await(restarted, store(new StreamIo_(restarted), options(), RegenerationHook.NONE).recover(ID, PRODUCER));
    assertEquals(durableSeq, recovered.durableSeq());
    for (long seq = fromSeq; seq < durableSeq; seq++) {
      if (recovered.read(seq) == null) {
        restarted.runAll();
      }
      assertEvent(seq, recovered.read(seq));
    }
  }

  private static void assertEvent(long seq, StreamEvent actual) {
    assertNotNull(actual, "seq " + seq + " not readable");
    assertTrue(event(seq).sameContent(actual), "seq " + seq + ": " + actual);
  }

  private static <T> T await(ManualStreamIo io, CompletionStage<T> stage) throws Exception {
    io.runAll();
    return stage.toCompletableFuture().get();
  }

  private java.nio.file.Path segmentFile(String streamId, long number) {
    return temp.resolve("job").resolve(dev.streamscope.rstream.segment.StreamDirs.encode(streamId))
        .resolve(SegmentFormat.fileName(number));
  }

  @Test
  void hybridEventsAreVisibleAtOnceAndDurableWhenTheBatchTimesOut() {
    PersistentRStream stream = (PersistentRStream) store(options()).open(ID, PRODUCER);
    AtomicInteger wakeUps = new AtomicInteger();
    stream.onPublished(wakeUps::incrementAndGet);
    writeRange(stream, 0, 10);
    stream.publish();
    assertEquals(1, wakeUps.get());
    for (long seq = 0; seq < 10; seq++) {
      assertEvent(seq, stream.read(seq));
    }
    assertEquals(0, stream.durableSeq());
    assertEquals(0, io.pendingTasks(), "a small batch waits for its interval");
    assertTrue(stream.persistenceBacklogBytes() > 0);
    io.advanceMillis(9);
    assertEquals(0, io.pendingTasks());
    io.advanceMillis(1);
    assertEquals(1, io.pendingTasks());
    io.runAll();
    assertEquals(10, stream.durableSeq());
    assertEquals(0, stream.persistenceBacklogBytes());
  }

  @Test
  void aFullBatchIsFlushedAtOnce() {
    PersistentRStream stream =
        (PersistentRStream) store(options().withBatch(500, 1_000)).open(ID, PRODUCER);
    writeRange(stream, 0, 30);
    stream.publish();
    assertEquals(1, io.pendingTasks());
    io.runAll();
    assertEquals(30, stream.durableSeq());
  }

  @Test
  void synchronousEventsBecomeVisibleOnlyOnceDurable() {
    PersistentRStream stream =
        (PersistentRStream)
            store(options().withStrategy(PersistenceStrategy.SYNCHRONOUS)).open(ID, PRODUCER);
    AtomicInteger wakeUps = new AtomicInteger();
    stream.onPublished(wakeUps::incrementAndGet);
    writeRange(stream, 0, 3);
    stream.publish();
    assertNull(stream.read(0), "not durable yet");
    assertEquals(0, wakeUps.get());
    assertEquals(0, stream.publishedSeq());
    io.runAll();
    assertEquals(1, wakeUps.get());
    assertEquals(3, stream.durableSeq());
    assertEquals(3, stream.publishedSeq());
    assertEvent(2, stream.read(2));
  }

  @Test
  void memoryOnlyStoresHandOutInMemoryStreams() {
    RStream stream = store(options().withStrategy(PersistenceStrategy.MEMORY_ONLY)).open(ID, PRODUCER);
    assertInstanceOf(InMemoryRStream.class, stream);
  }

  @Test
  void aBacklogPastItsBoundCongestsTheWriterUntilItDrains() {
    PersistentRStream stream =
        (PersistentRStream)
            store(options().withBatch(1 << 20, 50).withBacklogBytesMax(1_000)).open(ID, PRODUCER);
    AtomicInteger released = new AtomicInteger();
    stream.onReleased(released::incrementAndGet);
    writeRange(stream, 0, 5);
    stream.publish();
    assertFalse(stream.persistenceCongested());
    writeRange(stream, 5, 50);
    stream.publish();
    assertTrue(stream.persistenceCongested());
    assertEquals(0, released.get());
    io.advanceMillis(50);
    io.runAll();
    assertFalse(stream.persistenceCongested());
    assertEquals(1, released.get(), "the waiting writer is woken");
  }

  @Test
  void evictedEventsAreReadBackFromSegmentsAndWakeTheReader() {
    PersistentRStream stream =
        (PersistentRStream)
            store(options().withBatch(2_000, 10).withMemoryBytesMax(8_000).withReadBytesMax(1_000))
                .open(ID, PRODUCER);
    AtomicInteger wakeUps = new AtomicInteger();
    stream.onPublished(wakeUps::incrementAndGet);
    int count = 5_000; // several chunks of 1024
    for (long seq = 0; seq < count; seq += 100) {
      writeRange(stream, seq, seq + 100);
      stream.publish();
      io.runAll();
    }
    io.settle(20);
    assertEquals(count, stream.durableSeq());
    assertTrue(stream.residentBytes() <= 8_000 + 1024L * 80, "resident " + stream.residentBytes());
    int loads = 0;
    for (long seq = 0; seq < count; seq++) {
      StreamEvent read = stream.read(seq);
      if (read == null) {
        int before = wakeUps.get();
        assertEquals(1, io.pendingTasks(), "a load was requested for seq " + seq);
        io.runAll();
        assertEquals(before + 1, wakeUps.get(), "the load woke the reader");
        read = stream.read(seq);
        loads++;
      }
      assertEvent(seq, read);
      stream.releaseBelow(seq + 1);
    }
    assertTrue(loads > 10, "tier 2 was used: " + loads + " loads");
  }

  @Test
  void aRestartedWriterFindsEverythingAcknowledgedAndNothingElse() throws Exception {
    HadoopRStreamStore first = store(options().withBatch(1_000, 10));
    PersistentRStream stream = (PersistentRStream) first.open(ID, PRODUCER);
    writeRange(stream, 0, 200);
    stream.publish();
    io.runAll();
    long acknowledged = stream.durableSeq();
    assertTrue(acknowledged > 0 && acknowledged < 200, "a batch is persisted, the rest queued: " + acknowledged);
    writeRange(stream, 200, 220);
    stream.publish();
    io.crash(); // killed mid-batch: the queued flushes never run, the streams are abandoned

    ManualStreamIo restarted = new ManualStreamIo();
    HadoopRStreamStore second = store(new StreamIo_(restarted), options(), RegenerationHook.NONE);
    PersistentRStream recovered = await(restarted, second.recover(ID, PRODUCER));
    assertTrue(recovered.durableSeq() >= acknowledged, recovered.durableSeq() + " < " + acknowledged);
    assertEquals(recovered.durableSeq(), recovered.nextSeq());
    assertEquals(recovered.durableSeq(), recovered.publishedSeq());
    for (long seq = 0; seq < recovered.durableSeq(); seq++) {
      StreamEvent read = recovered.read(seq);
      if (read == null) {
        restarted.runAll();
        read = recovered.read(seq);
      }
      assertEvent(seq, read);
    }
    // The regenerated producer rewrites from an older position: duplicates are absorbed.
    writeRange(recovered, acknowledged - 5, 250);
    recovered.publish();
    restarted.settle(20);
    assertEquals(250, recovered.durableSeq());
  }

  @Test
  void aTornTailIsTruncatedAtRecovery() throws Exception {
    HadoopRStreamStore first = store(options().withBatch(1, 10));
    PersistentRStream stream = (PersistentRStream) first.open(ID, PRODUCER);
    writeRange(stream, 0, 20);
    stream.publish();
    io.runAll();
    assertEquals(20, stream.durableSeq());
    java.nio.file.Path file = segmentFile(ID, 0);
    long intact = java.nio.file.Files.size(file);
    // A torn write: half of the record of seq 20 made it to the file.
    byte[] record = new byte[SegmentFormat.recordBytes(event(20))];
    SegmentFormat.encodeRecord(event(20), record, 0, new java.util.zip.CRC32C());
    java.nio.file.Files.write(
        file, java.util.Arrays.copyOf(record, record.length / 2), java.nio.file.StandardOpenOption.APPEND);
    io.crash();

    ManualStreamIo restarted = new ManualStreamIo();
    PersistentRStream recovered =
        await(restarted, store(new StreamIo_(restarted), options(), RegenerationHook.NONE).recover(ID, PRODUCER));
    assertEquals(20, recovered.durableSeq());
    assertEquals(intact, java.nio.file.Files.size(file), "torn tail truncated");
    writeRange(recovered, 20, 30);
    recovered.publish();
    restarted.settle(20);
    assertEquals(30, recovered.durableSeq());
    assertEquals(2, recovered.segmentCount(), "a restarted writer starts a new segment");
  }

  @Test
  void aFlippedByteFailsRecoveryNamingFileOffsetAndChecksums() throws Exception {
    PersistentRStream stream = (PersistentRStream) store(options().withBatch(1, 10)).open(ID, PRODUCER);
    writeRange(stream, 0, 20);
    stream.publish();
    io.runAll();
    java.nio.file.Path file = segmentFile(ID, 0);
    TestFiles.flipByte(file, java.nio.file.Files.size(file) - 30);
    io.crash();

    ManualStreamIo restarted = new ManualStreamIo();
    CompletionStage<PersistentRStream> recovery =
        store(new StreamIo_(restarted), options(), RegenerationHook.NONE).recover(ID, PRODUCER);
    ExecutionException error = assertThrows(ExecutionException.class, () -> await(restarted, recovery));
    CorruptSegmentException corrupt = assertInstanceOf(CorruptSegmentException.class, error.getCause());
    assertTrue(corrupt.getMessage().contains(file.getFileName().toString()), corrupt.getMessage());
    assertTrue(corrupt.getMessage().matches("(?s).*at offset \\d+: .*expected crc32c 0x\\p{XDigit}{8}, actual 0x\\p{XDigit}{8}.*"), corrupt.getMessage());
  }

  @Test
  void aReaderNeverGetsBytesFromACorruptRecord() throws Exception {
    PersistentRStream stream =
        (PersistentRStream)
            store(options().withBatch(1, 10).withMemoryBytesMax(1)).open(ID, PRODUCER);
    writeRange(stream, 0, 3_000);
    stream.publish();
    io.runAll();
    assertEquals(3_000, stream.durableSeq());
    assertNull(stream.read(0), "evicted: read from the segment");
    // Corrupt the record of seq 1 before the load runs.
    long[] offset = new long[1];
    SegmentScanner.scan(fs, new Path(segmentFile(ID, 0).toUri().toString()), r -> {
      if (r.seq() == 1) {
        offset[0] = r.recordOffset();
      }
    });
    TestFiles.flipByte(segmentFile(ID, 0), offset[0] + SegmentFormat.RECORD_HEADER_BYTES);
    io.runAll();
    UncheckedIOException error = assertThrows(UncheckedIOException.class, () -> stream.read(0));
    String message = error.getMessage();
    assertTrue(message.contains(ID), message);
    assertTrue(message.contains("at offset " + offset[0]), message);
    assertTrue(message.contains("expected crc32c"), message);
  }

  @Test
  void aReaderWaitingPastALostTailAsksTheProducerToRegenerate() throws Exception {
    PersistentRStream stream = (PersistentRStream) store(options().withBatch(1, 10)).open(ID, PRODUCER);
    writeRange(stream, 0, 50);
    stream.publish();
    io.runAll();
    writeRange(stream, 50, 80); // visible, never persisted
    stream.publish();
    io.crash();

    ManualStreamIo restarted = new ManualStreamIo();
    List<String> requests = new ArrayList<>();
    PersistentRStream[] recovered = new PersistentRStream[1];
    // The fake producer: recovers from its snapshot (position 40) and replays to the end.
    RegenerationHook producer =
        (streamId, producerName, fromSeq) -> {
          requests.add(streamId + "@" + producerName + "@" + fromSeq);
          restarted.executeBlocking(
              () -> {
                writeRange(recovered[0], 40, 80);
                recovered[0].publish();
                return null;
              });
        };
    recovered[0] = await(restarted, store(new StreamIo_(restarted), options(), producer).recover(ID, PRODUCER));
    PersistentRStream reader = recovered[0];
    assertEquals(50, reader.durableSeq());
    AtomicInteger wakeUps = new AtomicInteger();
    reader.onPublished(wakeUps::incrementAndGet);
    for (long seq = 0; seq < 50; seq++) {
      if (reader.read(seq) == null) {
        restarted.runAll();
      }
      assertEvent(seq, reader.read(seq));
    }
    int before = wakeUps.get();
    assertNull(reader.read(50));
    assertNull(reader.read(50));
    assertEquals(List.of(ID + "@" + PRODUCER + "@50"), requests, "asked once");
    restarted.runAll();
    assertTrue(wakeUps.get() > before, "the regenerated writes woke the reader");
    for (long seq = 50; seq < 80; seq++) {
      assertEvent(seq, reader.read(seq));
    }
  }

  @Test
  void aDifferentValueForAnExistingSeqNamesStreamSeqAndProducer() {
    RStream stream = store(options()).open(ID, PRODUCER);
    writeRange(stream, 0, 3);
    stream.write(event(1)); // same value: a no-op
    DeterminismViolationException error =
        assertThrows(
            DeterminismViolationException.class,
            () -> stream.write(StreamEvent.data(1, "other".getBytes(StandardCharsets.UTF_8))));
    assertTrue(error.getMessage().contains(ID), error.getMessage());
    assertTrue(error.getMessage().contains("seq 1"), error.getMessage());
    assertTrue(error.getMessage().contains(PRODUCER), error.getMessage());
  }

  /** A value for {@code seq} that differs from {@link TestFiles#event}'s. */
  private static StreamEvent other(long seq) {
    return StreamEvent.data(seq, ("other-" + seq).getBytes(StandardCharsets.UTF_8));
  }

  /** A stream whose durable events leave memory at once: rewrites below it hit the segments. */
  private PersistentRStream evictingStream(HadoopRStreamStore store) {
    PersistentRStream stream = (PersistentRStream) store.open(ID, PRODUCER);
    writeRange(stream, 0, 3_000);
    stream.publish();
    io.runAll();
    assertEquals(3_000, stream.durableSeq());
    assertNull(stream.read(0), "evicted");
    io.runAll(); // the tier-2 load that read requested
    return stream;
  }

  @Test
  void aRewriteOfAnEvictedSeqWithTheSameBytesIsCheckedAgainstTheSegmentsOffTheWritersThread()
      throws Exception {
    HadoopRStreamStore store = store(options().withBatch(1, 10).withMemoryBytesMax(1).withReadBytesMax(4_000));
    PersistentRStream stream = evictingStream(store);
    List<DeterminismViolationException> violations = new ArrayList<>();
    stream.onDeterminismViolation(violations::add);
    // Chunks of 1024 seqs are evicted whole once durable: [0, 2048) is only in the segments.
    int tasksBefore = io.pendingTasks();
    writeRange(stream, 0, 2_048); // a replaying producer
    assertTrue(io.pendingTasks() > tasksBefore, "full batches were handed off during the writes");
    assertEquals(0, stream.rewritesCheckedOnDisk(), "nothing is read on the writer's thread");
    stream.publish();
    assertTrue(stream.rewriteBacklogBytes() > 0);
    CompletionStage<Void> closed = stream.closeAsync();
    assertFalse(closed.toCompletableFuture().isDone(), "closing waits for the checks");
    io.runAll();
    assertTrue(closed.toCompletableFuture().isDone());
    assertEquals(2_048, stream.rewritesCheckedOnDisk());
    assertEquals(0, stream.rewritesUnchecked());
    assertEquals(0, stream.rewriteBacklogBytes());
    assertEquals(List.of(), violations);
    stream.publish(); // no violation surfaces
  }

  @Test
  void aDifferentValueForAnEvictedSeqFailsTheWritersNextPublishNamingBothValues() {
    PersistentRStream stream =
        evictingStream(store(options().withBatch(1, 10).withMemoryBytesMax(1)));
    List<DeterminismViolationException> violations = new ArrayList<>();
    stream.onDeterminismViolation(violations::add);
    writeRange(stream, 90, 100);
    stream.write(other(100)); // returns: the persisted value is not at hand
    writeRange(stream, 101, 120);
    stream.publish(); // hands the rewrites off
    io.runAll(); // the check reads seqs [90, 120) back
    DeterminismViolationException error =
        assertThrows(DeterminismViolationException.class, stream::publish);
    String message = error.getMessage();
    assertTrue(message.contains(ID), message);
    assertTrue(message.contains("seq 100"), message);
    assertTrue(message.contains(PRODUCER), message);
    assertTrue(message.contains(event(100).toString()), "the persisted value: " + message);
    assertTrue(message.contains(other(100).toString()), "the offered value: " + message);
    assertEquals(100, error.seq());
    assertEquals(List.of(error), violations, "the listener heard it once");
    assertThrows(DeterminismViolationException.class, () -> stream.write(event(5)), "and the next rewrite");
    assertThrows(DeterminismViolationException.class, stream::publish, "and every later publish");
    assertEquals(10, stream.rewritesCheckedOnDisk(), "seqs [90, 100) matched");
  }

  @Test
  void afterARestartRewritesOfPersistedSeqsAreCheckedToo() throws Exception {
    PersistentRStream stream = (PersistentRStream) store(options().withBatch(1, 10)).open(ID, PRODUCER);
    writeRange(stream, 0, 200);
    stream.publish();
    io.runAll();
    assertEquals(200, stream.durableSeq());
    io.crash();

    ManualStreamIo restarted = new ManualStreamIo();
    PersistentRStream recovered =
        await(restarted, store(new StreamIo_(restarted), options(), RegenerationHook.NONE).recover(ID, PRODUCER));
    writeRange(recovered, 0, 150); // same bytes: all from the segments, none in memory
    recovered.publish();
    restarted.runAll();
    assertEquals(150, recovered.rewritesCheckedOnDisk());
    recovered.write(other(170));
    recovered.publish();
    restarted.runAll();
    DeterminismViolationException error = assertThrows(DeterminismViolationException.class, recovered::publish);
    assertEquals(170, error.seq());
    assertTrue(error.getMessage().contains(event(170).toString()), error.getMessage());
  }

  @Test
  void aRewriteOfASeqLostWithTheWriterIsARegenerationNotACheck() throws Exception {
    PersistentRStream stream = (PersistentRStream) store(options().withBatch(1, 10)).open(ID, PRODUCER);
    writeRange(stream, 0, 50);
    stream.publish();
    io.runAll();
    for (long seq = 50; seq < 80; seq++) {
      stream.write(other(seq)); // published, never durable
    }
    stream.publish();
    io.crash();

    ManualStreamIo restarted = new ManualStreamIo();
    PersistentRStream recovered =
        await(restarted, store(new StreamIo_(restarted), options(), RegenerationHook.NONE).recover(ID, PRODUCER));
    assertEquals(50, recovered.nextSeq());
    writeRange(recovered, 40, 80); // [40, 50) is checked, [50, 80) is new
    recovered.publish();
    restarted.settle(20);
    recovered.publish(); // no violation
    assertEquals(10, recovered.rewritesCheckedOnDisk());
    assertEquals(80, recovered.durableSeq());
    for (long seq = 50; seq < 80; seq++) {
      assertEvent(seq, recovered.read(seq));
    }
  }

  /**
   * A stream recovered after its first segments were garbage-collected says so to a reader that
   * asks below them (a consumer restored from a snapshot older than its inputs' collection), as
   * the stream did before the crash, instead of leaving it waiting for ever for a segment that is
   * gone.
   */
  @Test
  void aRecoveredStreamRefusesReadsBelowItsCollectedSegments() throws Exception {
    RStreamOptions small =
        options().withBatch(1, 10).withSegmentBytesMax(1_000).withMemoryBytesMax(1).withGcOnRelease(false);
    PersistentRStream stream = (PersistentRStream) store(small).open(ID, PRODUCER);
    for (long seq = 0; seq < 3_000; seq += 10) {
      writeRange(stream, seq, seq + 10);
      stream.publish();
      io.runAll();
    }
    stream.gcBelow(2_000);
    io.runAll();
    io.crash();

    ManualStreamIo restarted = new ManualStreamIo();
    PersistentRStream recovered =
        await(restarted, store(new StreamIo_(restarted), small, RegenerationHook.NONE).recover(ID, PRODUCER));
    IllegalStateException error = assertThrows(IllegalStateException.class, () -> recovered.read(100));
    assertTrue(error.getMessage().contains("seq 100 was garbage-collected"), error.getMessage());
    StreamEvent read = recovered.read(2_500);
    if (read == null) { // Loaded from its segment first.
      restarted.runAll();
      read = recovered.read(2_500);
    }
    assertEvent(2_500, read);
  }

  @Test
  void aRewriteBelowGarbageCollectedSegmentsIsAbsorbedUnchecked() {
    PersistentRStream stream =
        (PersistentRStream)
            store(options().withBatch(1, 10).withSegmentBytesMax(1_000).withMemoryBytesMax(1).withGcOnRelease(false))
                .open(ID, PRODUCER);
    for (long seq = 0; seq < 3_000; seq += 10) {
      writeRange(stream, seq, seq + 10);
      stream.publish();
      io.runAll();
    }
    stream.gcBelow(2_000);
    io.runAll();
    assertThrows(IllegalStateException.class, () -> stream.read(100), "garbage-collected");
    for (long seq = 100; seq < 110; seq++) {
      stream.write(other(seq)); // nobody can read seq 100 any more: nothing to compare with
    }
    stream.publish();
    io.runAll();
    stream.publish();
    assertEquals(10, stream.rewritesUnchecked());
    assertEquals(0, stream.rewritesCheckedOnDisk());
  }

  @Test
  void uncheckedRewritesPastTheBacklogBoundCongestTheWriterUntilChecked() {
    PersistentRStream stream =
        evictingStream(store(options().withBatch(1, 10).withMemoryBytesMax(1).withBacklogBytesMax(2_000)));
    AtomicInteger released = new AtomicInteger();
    stream.onReleased(released::incrementAndGet);
    writeRange(stream, 0, 200);
    stream.publish();
    assertTrue(stream.persistenceCongested());
    assertEquals(0, stream.persistenceBacklogBytes(), "everything written is durable");
    io.runAll();
    assertFalse(stream.persistenceCongested());
    assertEquals(1, released.get(), "the waiting writer is woken");
    assertEquals(200, stream.rewritesCheckedOnDisk());
  }

  @Test
  void garbageCollectionUnderAMovingWatermarkKeepsDiskUseBounded() throws IOException {
    long segmentBytesMax = 4_000;
    PersistentRStream stream =
        (PersistentRStream)
            store(options().withBatch(1_000, 10).withSegmentBytesMax(segmentBytesMax)).open(ID, PRODUCER);
    Path dir = new Path(temp.toUri().toString(), "job");
    long maxDisk = 0;
    for (long seq = 0; seq < 20_000; seq += 50) {
      writeRange(stream, seq, seq + 50);
      stream.publish();
      io.runAll();
      for (long read = Math.max(0, seq - 100); read < seq - 50; read++) {
        assertEvent(read, stream.read(read));
      }
      stream.releaseBelow(Math.max(0, seq - 50)); // the reader lags 100 events behind
      io.runAll();
      maxDisk = Math.max(maxDisk, fs.getContentSummary(dir).getLength());
    }
    long lagBytes = 100L * (SegmentFormat.RECORD_OVERHEAD_BYTES + 40);
    assertTrue(maxDisk <= 2 * segmentBytesMax + lagBytes + 2_000, "disk use " + maxDisk);
    assertTrue(stream.segmentCount() <= 3, "segments " + stream.segmentCount());
    assertThrows(IllegalStateException.class, () -> stream.read(0));
  }

  @Test
  void explicitGcDeletesOnlyBelowTheWatermark() throws IOException {
    PersistentRStream stream =
        (PersistentRStream)
            store(options().withBatch(1, 10).withSegmentBytesMax(1_000).withGcOnRelease(false))
                .open(ID, PRODUCER);
    for (long seq = 0; seq < 500; seq += 10) {
      writeRange(stream, seq, seq + 10);
      stream.publish();
      io.runAll();
    }
    int before = stream.segmentCount();
    stream.releaseBelow(400);
    io.runAll();
    assertEquals(before, stream.segmentCount(), "releasing alone keeps segments (no gcOnRelease)");
    stream.gcBelow(250);
    io.runAll();
    assertTrue(stream.segmentCount() < before);
    Path dir = new Path(temp.toUri().toString(), "job/" + dev.streamscope.rstream.segment.StreamDirs.encode(ID));
    long lowest = Long.MAX_VALUE;
    int segmentFiles = 0;
    for (var status : fs.listStatus(dir)) {
      if (status.getPath().getName().endsWith(SegmentIndexFile.SUFFIX)) {
        String segmentName = status.getPath().getName().replace(SegmentIndexFile.SUFFIX, SegmentFormat.SEGMENT_SUFFIX);
        assertTrue(fs.exists(new Path(dir, segmentName)), "a sidecar without its segment: " + status.getPath());
        continue;
      }
      segmentFiles++;
      var scan = SegmentScanner.scan(fs, status.getPath(), null);
      lowest = Math.min(lowest, scan.firstSeq());
      if (scan.endSeq() <= 250) {
        throw new AssertionError("segment " + status.getPath() + " below the watermark survived");
      }
    }
    assertTrue(lowest <= 250, "nothing at or above the watermark was deleted: " + lowest);
    assertEquals(stream.segmentCount(), segmentFiles);
  }

  @Test
  void aFailedFlushIsReportedAndRetriedUntilItSucceeds() throws Exception {
    FaultyFileSystem faulty = new FaultyFileSystem(fs);
    HadoopRStreamStore store =
        new HadoopRStreamStore(
            faulty, new Path(temp.toUri().toString(), "job"), options().withBatch(1, 10).withRetryDelayMs(10, 40), io, RegenerationHook.NONE);
    PersistentRStream stream = (PersistentRStream) store.open(ID, PRODUCER);
    writeRange(stream, 0, 10);
    stream.publish();
    io.runAll();
    assertEquals(10, stream.durableSeq());
    faulty.failWrites(true);
    writeRange(stream, 10, 20);
    stream.publish();
    io.runAll();
    assertEquals(10, stream.durableSeq());
    assertNotNull(stream.persistenceError());
    assertTrue(stream.persistenceError().getMessage().contains("injected"), stream.persistenceError().getMessage());
    io.advanceMillis(10);
    io.runAll();
    io.advanceMillis(20);
    io.runAll();
    assertEquals(3, stream.persistFailures(), "retried after 10 ms, then 20 ms");
    faulty.failWrites(false);
    io.advanceMillis(40);
    io.runAll();
    assertEquals(20, stream.durableSeq());
    assertNull(stream.persistenceError());
    io.crash();

    assertRecoveredHolds(0, 20);
  }

  private boolean sealed(long segmentNumber) throws IOException {
    return fs.exists(SegmentIndexFile.pathOf(new Path(segmentFile(ID, segmentNumber).toUri())));
  }

  /**
   * A full segment is closed beside the flush chain (on HDFS a close takes 400 ms or more): the
   * next batch goes to a new segment while the close is still queued; until it is sealed GC
   * leaves the segment alone; then it has its sidecar and GC may delete it.
   */
  @Test
  void aFullSegmentIsSealedBesideTheFlushChain() throws Exception {
    PersistentRStream stream =
        (PersistentRStream)
            store(options().withBatch(400, 1_000).withSegmentBytesMax(1).withGcOnRelease(false)).open(ID, PRODUCER);
    writeRange(stream, 0, 10);
    stream.publish();
    assertTrue(io.runOne()); // the flush of [0, 10): segment 0 is full and rolls
    assertEquals(10, stream.durableSeq());
    assertEquals(1, io.pendingTasks(), "the seal of segment 0");
    writeRange(stream, 10, 20);
    stream.publish();
    assertEquals(2, io.pendingTasks(), "the next flush does not wait for the seal");
    assertTrue(io.runNewest()); // the flush of [10, 20), into segment 1, before the seal
    assertEquals(20, stream.durableSeq());
    assertEquals(2, stream.segmentCount());
    assertFalse(sealed(0) || sealed(1), "neither is sealed yet");
    stream.gcBelow(20);
    assertEquals(1, io.pendingTasks(), "no GC of an unsealed segment, only the seal is queued");

    io.runAll(); // the seal (of both), then the GC it allows
    assertTrue(sealed(1));
    assertFalse(Files.exists(segmentFile(ID, 0)), "segment 0 was sealed, then collected");
    assertFalse(sealed(0));
    assertEquals(1, stream.segmentCount());
    assertEquals(0, stream.persistFailures());
    io.crash();

    assertRecoveredHolds(10, 20);
  }

  /**
   * Closes that hang must not let full segments pile up (each an open stream and a file GC may not
   * delete): past {@link PersistentRStream#ROLLED_SEGMENTS_MAX} of them waiting for their close,
   * the writer is held back, and woken once they are sealed.
   */
  @Test
  void fullSegmentsWaitingForTheirCloseHoldTheWriterBack() throws Exception {
    PersistentRStream stream =
        (PersistentRStream) store(options().withBatch(400, 1_000).withSegmentBytesMax(1)).open(ID, PRODUCER);
    AtomicInteger released = new AtomicInteger();
    stream.onReleased(released::incrementAndGet);
    int rolledMax = PersistentRStream.ROLLED_SEGMENTS_MAX;
    for (long seq = 0; seq < 10L * (rolledMax + 1); seq += 10) {
      assertFalse(stream.persistenceCongested(), "segments waiting for their close: " + seq / 10);
      writeRange(stream, seq, seq + 10);
      stream.publish();
      assertTrue(io.runNewest()); // the flush of [seq, seq + 10), each rolling a full segment
    }
    assertEquals(10L * (rolledMax + 1), stream.durableSeq());
    assertEquals(0, stream.persistenceBacklogBytes(), "everything written is durable");
    assertTrue(stream.persistenceCongested(), (rolledMax + 1) + " segments wait for their close");
    assertEquals(0, released.get());

    io.runAll(); // the seal
    assertFalse(stream.persistenceCongested());
    assertEquals(1, released.get(), "the waiting writer is woken");
    assertTrue(sealed(rolledMax));
    io.crash();

    assertRecoveredHolds(0, 10L * (rolledMax + 1));
  }

  /**
   * A full segment whose close fails keeps everything acknowledged (its records were flushed
   * before it rolled): no flush counts as failed, the next segments go on, and recovery scans it.
   */
  @Test
  void aFailedCloseOfAFullSegmentLosesNothingAcknowledged() throws Exception {
    FaultyFileSystem faulty = new FaultyFileSystem(fs);
    HadoopRStreamStore store =
        new HadoopRStreamStore(
            faulty, new Path(temp.toUri().toString(), "job"), options().withBatch(400, 1_000).withSegmentBytesMax(1),
            io, RegenerationHook.NONE);
    PersistentRStream stream = (PersistentRStream) store.open(ID, PRODUCER);
    faulty.failCloses(true);
    writeRange(stream, 0, 10);
    stream.publish();
    io.runAll(); // the flush, then the seal, which fails
    assertEquals(10, stream.durableSeq());
    assertEquals(0, stream.persistFailures());
    assertNull(stream.persistenceError());
    assertFalse(sealed(0));
    faulty.failCloses(false);
    writeRange(stream, 10, 20);
    stream.publish();
    io.runAll();
    assertEquals(20, stream.durableSeq());
    assertTrue(sealed(1));
    io.crash();

    assertRecoveredHolds(0, 20);
  }

  /** A writer that died with rolled segments not yet sealed loses nothing acknowledged. */
  @Test
  void aWriterKilledBeforeItsFullSegmentsAreSealedLosesNothingAcknowledged() throws Exception {
    PersistentRStream stream =
        (PersistentRStream) store(options().withBatch(400, 1_000).withSegmentBytesMax(1)).open(ID, PRODUCER);
    for (long seq = 0; seq < 30; seq += 10) {
      writeRange(stream, seq, seq + 10);
      stream.publish();
      assertTrue(io.runNewest()); // each flush before the seal queued behind it
    }
    assertEquals(30, stream.durableSeq());
    assertFalse(sealed(0) || sealed(1) || sealed(2));
    io.crash();

    ManualStreamIo restarted = new ManualStreamIo();
    PersistentRStream recovered =
        await(restarted, store(new StreamIo_(restarted), options(), RegenerationHook.NONE).recover(ID, PRODUCER));
    assertEquals(30, recovered.durableSeq());
    assertEquals(3, recovered.segmentCount());
    for (long seq = 0; seq < 30; seq++) {
      if (recovered.read(seq) == null) {
        restarted.runAll();
      }
      assertEvent(seq, recovered.read(seq));
    }
  }

  /** Closing the stream waits for a seal in progress, and seals every rolled segment. */
  @Test
  void closingSealsEveryRolledSegment() throws Exception {
    HadoopRStreamStore store = store(options().withBatch(400, 1_000).withSegmentBytesMax(1));
    PersistentRStream stream = (PersistentRStream) store.open(ID, PRODUCER);
    for (long seq = 0; seq < 30; seq += 10) {
      writeRange(stream, seq, seq + 10);
      stream.publish();
      assertTrue(io.runNewest());
    }
    CompletionStage<Void> closed = store.closeAsync();
    assertFalse(closed.toCompletableFuture().isDone(), "a seal is queued");
    await(io, closed);
    assertTrue(sealed(0) && sealed(1) && sealed(2));
  }

  /** A stream of 20 durable events whose writer's process died, and a store over {@code fs}. */
  private HadoopRStreamStore crashedWriterAndNewStore(FileSystem fs, ManualStreamIo restarted) {
    PersistentRStream stream = (PersistentRStream) store(options().withBatch(1, 10)).open(ID, PRODUCER);
    writeRange(stream, 0, 20);
    stream.publish();
    io.runAll();
    assertEquals(20, stream.durableSeq());
    io.crash();
    return new HadoopRStreamStore(
        fs, new Path(temp.toUri().toString(), "job"), options().withRetryDelayMs(10, 20), restarted,
        RegenerationHook.NONE);
  }

  /**
   * A read that fails while recovery scans the segment the dead writer left open fails that
   * attempt; the next starts over after the store's retry delay (10 ms, doubling up to 20 ms).
   */
  @Test
  void aRecoveryRetriesReadFailuresWithTheStoresBackoff() throws Exception {
    FaultyFileSystem faulty = new FaultyFileSystem(fs);
    ManualStreamIo restarted = new ManualStreamIo();
    HadoopRStreamStore store = crashedWriterAndNewStore(faulty, restarted);
    faulty.failReads(3);
    CompletableFuture<PersistentRStream> recovery = store.recover(ID, PRODUCER).toCompletableFuture();
    restarted.runAll();
    assertEquals(1, faulty.readFailures());
    long[] retryDelaysMs = {10, 20, 20};
    for (int retry = 0; retry < retryDelaysMs.length; retry++) {
      restarted.advanceMillis(retryDelaysMs[retry] - 1);
      restarted.runAll();
      assertFalse(recovery.isDone(), "retry " + retry + " waits its delay");
      assertEquals(retry + 1, faulty.readFailures());
      restarted.advanceMillis(1);
      restarted.runAll();
    }
    assertEquals(3, faulty.readFailures());
    PersistentRStream recovered = recovery.get();
    assertEquals(20, recovered.durableSeq());
    for (long seq = 0; seq < 20; seq++) {
      if (recovered.read(seq) == null) {
        restarted.runAll();
      }
      assertEvent(seq, recovered.read(seq));
    }
  }

  @Test
  void aRecoveryThatKeepsFailingGivesUpNamingTheStreamAndTheLastError() {
    FaultyFileSystem faulty = new FaultyFileSystem(fs);
    ManualStreamIo restarted = new ManualStreamIo();
    HadoopRStreamStore store = crashedWriterAndNewStore(faulty, restarted);
    faulty.failReads(1_000);
    CompletableFuture<PersistentRStream> recovery = store.recover(ID, PRODUCER).toCompletableFuture();
    restarted.settle(1_000);
    assertEquals(HadoopRStreamStore.RECOVERY_IO_FAILURES_MAX, faulty.readFailures());
    ExecutionException error = assertThrows(ExecutionException.class, recovery::get);
    String message = error.getCause().getMessage();
    assertTrue(message.contains("rStream " + ID), message);
    assertTrue(message.contains(HadoopRStreamStore.RECOVERY_IO_FAILURES_MAX + " attempts failed"), message);
    assertTrue(message.contains("last error: java.io.IOException: injected failure: read"), message);
  }

  /** Corruption is not transient: recovery fails at once, without a retry. */
  @Test
  void aCorruptSegmentFailsRecoveryWithoutARetry() throws Exception {
    FaultyFileSystem faulty = new FaultyFileSystem(fs);
    ManualStreamIo restarted = new ManualStreamIo();
    HadoopRStreamStore store = crashedWriterAndNewStore(faulty, restarted);
    java.nio.file.Path file = segmentFile(ID, 0);
    TestFiles.flipByte(file, java.nio.file.Files.size(file) - 30);
    CompletableFuture<PersistentRStream> recovery = store.recover(ID, PRODUCER).toCompletableFuture();
    restarted.runAll();
    assertTrue(recovery.isCompletedExceptionally(), "failed with no time passing");
    ExecutionException error = assertThrows(ExecutionException.class, recovery::get);
    assertInstanceOf(CorruptSegmentException.class, error.getCause());
  }

  @Test
  void aStreamWithAVeryLongIdPersistsListsAndRecovers() throws Exception {
    String id = "Write/WriteFiles/GatherTempFileResults/AsPossiblyEmptyList/Create.Values/".repeat(6) + "in0/p0";
    HadoopRStreamStore store = store(options().withBatch(1, 10));
    PersistentRStream stream = (PersistentRStream) store.open(id, PRODUCER);
    writeRange(stream, 0, 10);
    stream.publish();
    io.runAll();
    assertEquals(10, stream.durableSeq());
    assertNull(stream.persistenceError());
    assertEquals(List.of(id), await(io, store.listStreams()));
    io.crash();
    ManualStreamIo restarted = new ManualStreamIo();
    PersistentRStream recovered =
        await(restarted, store(new StreamIo_(restarted), options(), RegenerationHook.NONE).recover(id, PRODUCER));
    assertEquals(10, recovered.durableSeq());
  }

  @Test
  void closingDoesNotWaitForARetryTimer() throws Exception {
    FaultyFileSystem faulty = new FaultyFileSystem(fs);
    HadoopRStreamStore store =
        new HadoopRStreamStore(
            faulty, new Path(temp.toUri().toString(), "job"), options().withBatch(1, 10).withRetryDelayMs(1_000, 1_000), io, RegenerationHook.NONE);
    PersistentRStream stream = (PersistentRStream) store.open(ID, PRODUCER);
    faulty.failWrites(true);
    writeRange(stream, 0, 10);
    stream.publish();
    io.runAll();
    assertNotNull(stream.persistenceError());
    faulty.failWrites(false);
    CompletionStage<Void> closed = store.closeAsync();
    io.runAll(); // no time passes: the retry timer does not fire
    assertTrue(closed.toCompletableFuture().isDone());
    assertEquals(10, stream.durableSeq(), "the last attempt, made at once, succeeded");
  }

  @Test
  void aStreamWritesThePayloadFormatItsStoreWasToldAbout() throws Exception {
    HadoopRStreamStore store = store(options().withBatch(1, 10));
    PayloadFormat format = new PayloadFormat("test/v1", new byte[] {1, 2, 3});
    store.describePayloads(id -> id.equals(ID) ? format : null);
    RStream known = store.open(ID, PRODUCER);
    RStream unknown = store.open("other", PRODUCER);
    writeRange(known, 0, 5);
    known.publish();
    writeRange(unknown, 0, 5);
    unknown.publish();
    io.runAll();
    assertEquals(format, PayloadFormat.read(fs, store.streamDir(ID)));
    assertNull(PayloadFormat.read(fs, store.streamDir("other")));
  }

  @Test
  void closingPersistsTheRestAndClosesTheSegment() throws Exception {
    HadoopRStreamStore store = store(options().withBatch(1 << 20, 1_000));
    PersistentRStream stream = (PersistentRStream) store.open(ID, PRODUCER);
    writeRange(stream, 0, 10);
    stream.publish();
    CompletionStage<Void> closed = store.closeAsync();
    await(io, closed);
    assertEquals(10, stream.durableSeq());
    List<String> ids = await(io, store.listStreams());
    assertEquals(List.of(ID), ids);
    await(io, store.deleteAsync());
    assertFalse(fs.exists(new Path(temp.toUri().toString(), "job")));
  }
}
