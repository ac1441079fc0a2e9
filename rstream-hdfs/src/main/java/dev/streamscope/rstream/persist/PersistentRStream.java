package dev.streamscope.rstream.persist;

import dev.streamscope.rstream.DeterminismViolationException;
import dev.streamscope.rstream.RStream;
import dev.streamscope.rstream.StreamEvent;
import dev.streamscope.rstream.TestHooks;
import dev.streamscope.rstream.io.StreamIo;
import dev.streamscope.rstream.segment.CorruptSegmentException;
import dev.streamscope.rstream.segment.RecordBuffer;
import dev.streamscope.rstream.segment.StreamLog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An rStream persisted to segment files through a Hadoop {@code FileSystem}, hybrid or
 * synchronous (see {@link PersistenceStrategy}).
 *
 * <h2>Writes</h2>
 *
 * {@link #write} only stores the event in memory (tier 1) and encodes its record into a {@link
 * RecordBuffer} (once, while the event is in the CPU caches; the flush chain writes the encoded
 * blocks as they are). {@link #publish} hands everything written to the flush chain and, in
 * {@link PersistenceStrategy#HYBRID hybrid} mode, makes it visible at once. The flush chain
 * persists the published events in batches (group commit): a batch is flushed as soon as it holds
 * {@code batchBytesMax}, or {@code flushIntervalMs} after it started, whichever comes first; one
 * flush at a time, each ending with {@code hflush} (or {@code hsync}); then {@link #durableSeq()}
 * moves forward. A full segment is closed beside the flush
 * chain, which goes on in the next segment at once (a close adds nothing to durability, and on
 * HDFS takes 400 ms or more; see {@link StreamLog}). In {@link PersistenceStrategy#SYNCHRONOUS
 * synchronous} mode a publish flushes at once, and events become visible (and readers are woken)
 * only when durable. A failed flush is reported ({@link #persistenceError()}, a warning) and
 * retried after a growing delay in a new segment from the durable seq; nothing acknowledged is
 * lost. Back-pressure: {@link #persistenceCongested()} says when more than {@code
 * backlogBytesMax} are published but not durable; {@code onReleased} listeners fire when that
 * clears.
 *
 * <h2>Reads</h2>
 *
 * Any seq from the garbage-collection watermark up to the visible end can be read, also below
 * {@link #releaseBelow} (which frees memory only; with {@code gcOnRelease} it also moves the GC
 * watermark):
 *
 * <ol>
 *   <li>from memory while the event is there;
 *   <li>from the segments after eviction (or after a restart): {@link #read} returns null, loads
 *       a block of events asynchronously, and wakes the reader through the {@code onPublished}
 *       listeners when it is there; a corrupt record makes every later read throw an {@link
 *       UncheckedIOException} naming file, offset and checksums;
 *   <li>a seq beyond everything durable while the writer is gone (a recovered stream, or {@link
 *       #markWriterLost()}) asks the {@link RegenerationHook} for it, once per loss; the
 *       regenerated writes wake the reader like any publish.
 * </ol>
 *
 * <h2>Uniqueness</h2>
 *
 * A write of a seq below {@link #nextSeq()} (a replaying producer) is compared with the stream's
 * value of that seq:
 *
 * <ul>
 *   <li>while the event is in the memory tier (always until it is durable, then until it is
 *       evicted or released), at once: {@link #write} throws {@link DeterminismViolationException};
 *   <li>otherwise (evicted, or written before a restart) against the segments, off the writer's
 *       thread ({@link RewriteVerifier}): such rewrites are handed off at the next {@link
 *       #publish} (or once they add up to {@code readBytesMax}) and read back in batches. A
 *       mismatch makes the writer's next {@link #publish} (and its next rewrite, and every later
 *       one) throw the {@link DeterminismViolationException}, naming stream, seq, producer, the
 *       persisted and the offered value, and fires the {@link #onDeterminismViolation} listeners
 *       once: a writer that already published its last event learns of it only there. Unverified
 *       rewrites count towards {@link #persistenceCongested()}; {@link #closeAsync()} waits for
 *       them. A rewrite of a seq whose segment was garbage-collected before the check ran is
 *       absorbed unchecked (no reader can read it any more), as is one whose record is corrupt
 *       (reads and recovery report that).
 * </ul>
 *
 * A seq at or past {@link #nextSeq()} is a new write. After a crash this includes seqs that were
 * published but never became durable: they are lost, and their rewrite is their regeneration.
 *
 * <h2>Threading</h2>
 *
 * One writer thread (write, publish), one reader thread (read, releaseBelow), and completions and
 * timers of the {@link StreamIo} on any thread. The writer's and reader's hot paths take no lock;
 * the persistence state is guarded by {@code lock}, and the {@link StreamIo} is never called
 * while holding it (work is planned under the lock and started after it).
 */
public final class PersistentRStream implements RStream {
  private static final Logger LOG = LoggerFactory.getLogger(PersistentRStream.class);

  /**
   * Full segments that may wait for their close before the writer is held back: each keeps an open
   * output stream and a file GC may not delete, so closes that hang must not let them pile up.
   */
  static final int ROLLED_SEGMENTS_MAX = 4;

  /** Events read back from a segment: {@code [from, from + events.length)}. */
  private record LoadedBlock(long from, StreamEvent[] events) {
    boolean contains(long seq) {
      return seq >= from && seq < from + events.length;
    }

    long end() {
      return from + events.length;
    }
  }

  private final String id;
  private final String producer;
  private final RStreamOptions options;
  private final boolean synchronous;
  private final StreamIo io;
  private final StreamLog log;
  private final RegenerationHook regeneration;
  private final MemoryTier memory;
  private final RecordBuffer records; // the written events, encoded, until durable
  private final RewriteVerifier verifier;
  private final List<Consumer<DeterminismViolationException>> violationListeners =
      new CopyOnWriteArrayList<>();
  private final List<Runnable> publishListeners = new CopyOnWriteArrayList<>();
  private final List<Runnable> releaseListeners = new CopyOnWriteArrayList<>();
  private final Object lock = new Object();

  // Set by the reader.
  private volatile boolean readerWaitsElsewhere;

  // Writer-owned.
  private long nextSeq;
  private long writtenBytes;

  // Set by the writer's publish.
  private volatile long publishedSeq;
  private volatile long publishedBytes;
  // What reads see: the published seq (hybrid) or the durable seq (synchronous).
  private volatile long visibleSeq;
  private volatile long visibleBytes;

  // The flush chain; guarded by lock (volatile fields are also read without it).
  private volatile long durableSeq;
  private volatile long durableBytes;
  private boolean flushing;
  private volatile boolean flushInFlight; // mirrors flushing, for the writer's lock-free check
  private boolean retryScheduled;
  private long retryDelayMs;
  private long batchGeneration;
  private long timerGeneration = -1;
  private volatile boolean timerArmed; // the batch's time limit is set and has not fired yet
  private boolean flushDue;
  private boolean sealing; // closing rolled segments, beside the flush chain
  private volatile int rolledSegments; // full, not yet sealed; as of the last flush or seal
  private long persistFailures;
  private volatile Throwable persistenceError;
  private volatile boolean backlogWaiter;
  private boolean closing;
  private boolean closed;
  private final CompletableFuture<Void> closedFuture = new CompletableFuture<>();
  private final CompletableFuture<Void> verifierClosed = new CompletableFuture<>();
  private CompletionStage<Void> closedAndVerified; // set by closeAsync

  // Reader-owned.
  private long releasedSeq;
  private long readChunkIndex = -1;
  private StreamEvent[] readEvents;
  private int regeneratedEpoch;
  private volatile long releasedSeqVisible;
  private final AtomicLong releasedBytes = new AtomicLong();
  private volatile LoadedBlock loaded;
  private volatile UncheckedIOException readFailure;
  private boolean loading; // guarded by lock
  private long readRetryDelayMs; // guarded by lock

  // Garbage collection; guarded by lock.
  private long gcWatermark;
  private volatile long gcWatermarkVisible;
  private boolean collecting;

  // Tier 3: a writer that is gone.
  private volatile boolean writerLost;
  private volatile int lossEpoch;

  /**
   * A stream over {@code log}, which holds {@code [floorSeq, endSeq)} durably (nothing for a new
   * stream). {@code writerLost} is true for a stream recovered after its writer's process died.
   */
  PersistentRStream(
      String id,
      String producer,
      RStreamOptions options,
      StreamIo io,
      StreamLog log,
      RegenerationHook regeneration,
      long floorSeq,
      long endSeq,
      boolean writerLost) {
    if (options.strategy() == PersistenceStrategy.MEMORY_ONLY) {
      throw new IllegalArgumentException("a memory-only stream is an InMemoryRStream");
    }
    if (floorSeq < 0 || endSeq < floorSeq) {
      throw new IllegalArgumentException("bad range [" + floorSeq + ", " + endSeq + ")");
    }
    this.id = id;
    this.producer = producer;
    this.options = options;
    this.synchronous = options.strategy() == PersistenceStrategy.SYNCHRONOUS;
    this.io = io;
    this.log = log;
    this.regeneration = regeneration;
    this.memory = new MemoryTier(endSeq);
    this.records = new RecordBuffer(endSeq, options.backlogBytesMax());
    this.verifier =
        new RewriteVerifier(
            id,
            producer,
            log,
            io,
            options,
            new RewriteVerifier.Listener() {
              @Override
              public void violated(DeterminismViolationException violation) {
                for (Consumer<DeterminismViolationException> listener : violationListeners) {
                  listener.accept(violation);
                }
              }

              @Override
              public void drained() {
                wakeBacklogWaiter();
              }
            });
    this.nextSeq = endSeq;
    this.publishedSeq = endSeq;
    this.visibleSeq = endSeq;
    this.durableSeq = endSeq;
    this.releasedSeq = floorSeq;
    this.releasedSeqVisible = floorSeq;
    this.gcWatermark = floorSeq;
    this.gcWatermarkVisible = floorSeq; // Reads below it fail, as they did before a crash.
    this.retryDelayMs = options.retryDelayMsMin();
    this.readRetryDelayMs = options.retryDelayMsMin();
    if (writerLost) {
      this.writerLost = true;
      this.lossEpoch = 1;
    }
  }

  @Override
  public String id() {
    return id;
  }

  public String producer() {
    return producer;
  }

  // ---------------------------------------------------------------------------------------------
  // Writer

  @Override
  public void write(StreamEvent event) {
    if (writerLost) {
      writerLost = false;
    }
    long seq = event.seq();
    if (seq < nextSeq) {
      if (!TestHooks.rewritesAppend) {
        checkSameAsExisting(event);
        return;
      }
      event = event.withSeq(nextSeq); // The deliberate bug: no uniqueness.
      seq = nextSeq;
    }
    if (seq > nextSeq) {
      throw new IllegalArgumentException(
          "rStream " + id + ": write of seq " + seq + " leaves a gap; next seq is " + nextSeq);
    }
    records.append(event); // Encoded now, while its bytes are in the cache; throws if too large.
    memory.put(event);
    writtenBytes += event.sizeBytes();
    nextSeq = seq + 1;
  }

  /**
   * Uniqueness for a seq written before (see the class documentation): against the event while
   * it is in memory, else handed to the verifier, which reads the segments.
   */
  private void checkSameAsExisting(StreamEvent event) {
    throwIfViolated();
    StreamEvent existing = memory.existing(event.seq());
    if (existing == null) {
      verifier.add(event); // Durable and only in the segments: checked off this thread.
    } else if (!existing.sameContent(event)) {
      throw new DeterminismViolationException(id, event.seq(), producer, existing, event);
    }
  }

  private void throwIfViolated() {
    DeterminismViolationException violation = verifier.violation();
    if (violation != null) {
      throw violation;
    }
  }

  @Override
  public void publish() {
    throwIfViolated();
    verifier.handOff();
    long seq = nextSeq;
    if (seq == publishedSeq) {
      return;
    }
    long bytes = writtenBytes;
    memory.published(bytes);
    publishedBytes = bytes;
    publishedSeq = seq;
    if (!synchronous) {
      visibleBytes = bytes;
      visibleSeq = seq;
      fire(publishListeners);
    }
    if (flushInFlight) {
      // The running flush re-plans when it completes and sees this publish: it clears the flag
      // before it reads the published seq, and this thread wrote that seq before reading the flag.
      return;
    }
    if (timerArmed && bytes - durableBytes < options.batchBytesMax()) {
      // Not full yet and the batch's timer will flush it: the timer clears the flag before it
      // reads the published seq, so it sees this publish (no lock per event while a batch fills).
      return;
    }
    Runnable work;
    synchronized (lock) {
      work = planFlush();
    }
    run(work);
  }

  @Override
  public long nextSeq() {
    return nextSeq;
  }

  @Override
  public long publishedSeq() {
    return visibleSeq;
  }

  @Override
  public long durableSeq() {
    return durableSeq;
  }

  @Override
  public long persistenceBacklogBytes() {
    return publishedBytes - durableBytes;
  }

  /**
   * Also true while more than {@code backlogBytesMax} of rewrites wait for their check, or more
   * than {@link #ROLLED_SEGMENTS_MAX} full segments wait for their close.
   */
  @Override
  public boolean persistenceCongested() {
    if (!overBacklog()) {
      return false;
    }
    backlogWaiter = true;
    // Re-check after announcing the wait: a flush or check that completed in between sees it.
    return overBacklog();
  }

  private boolean overBacklog() {
    return publishedBytes - durableBytes > options.backlogBytesMax()
        || verifier.backlogBytes() > options.backlogBytesMax()
        || rolledSegments > ROLLED_SEGMENTS_MAX;
  }

  /** Wakes a writer waiting on {@link #persistenceCongested()} once it is clear. */
  private void wakeBacklogWaiter() {
    boolean wake;
    synchronized (lock) {
      wake = backlogWaiter && !overBacklog();
      if (wake) {
        backlogWaiter = false;
      }
    }
    if (wake) {
      fire(releaseListeners);
    }
  }

  @Override
  public void onDeterminismViolation(Consumer<DeterminismViolationException> listener) {
    violationListeners.add(listener);
  }

  /** Rewrites compared with their persisted record so far. */
  public long rewritesCheckedOnDisk() {
    return verifier.checked();
  }

  /** Rewrites absorbed without a comparison: their segment was garbage-collected, or corrupt. */
  public long rewritesUnchecked() {
    return verifier.unchecked();
  }

  /** Bytes of rewrites handed off but not yet compared with the segments. */
  public long rewriteBacklogBytes() {
    return verifier.backlogBytes();
  }

  /** The last persistence failure while it is being retried; null once a flush succeeded. */
  public Throwable persistenceError() {
    return persistenceError;
  }

  /** Failed flushes so far. */
  public long persistFailures() {
    synchronized (lock) {
      return persistFailures;
    }
  }

  /** Bytes of events in the memory tier. */
  public long residentBytes() {
    return memory.residentBytes();
  }

  /** Bytes of the live segment files. */
  public long diskBytes() {
    return log.diskBytes();
  }

  /** Live segment files. */
  public int segmentCount() {
    return log.segmentCount();
  }

  /**
   * Declares the writer gone (its vertex failed and will be recovered elsewhere): a reader that
   * reaches the end of what is visible asks the {@link RegenerationHook}. The next write ends it.
   */
  public void markWriterLost() {
    lossEpoch++;
    writerLost = true;
  }

  // ---------------------------------------------------------------------------------------------
  // The flush chain

  /** Decides the next step of the flush chain; under lock. Returns what to run after it. */
  private Runnable planFlush() {
    if (flushing || retryScheduled || closed) {
      return null;
    }
    long from = durableSeq;
    long to = publishedSeq;
    if (from >= to) {
      return closing && !sealing ? planClose() : null; // closeActive seals what rolled, not twice
    }
    long pendingBytes = publishedBytes - durableBytes;
    if (synchronous || closing || flushDue || pendingBytes >= options.batchBytesMax()) {
      flushing = true;
      flushInFlight = true;
      timerArmed = false;
      flushDue = false;
      batchGeneration++;
      return () -> startFlush(from, to);
    }
    if (timerGeneration != batchGeneration) {
      long generation = batchGeneration;
      timerGeneration = generation;
      timerArmed = true;
      return () -> io.setTimer(options.flushIntervalMs(), () -> onFlushTimer(generation));
    }
    return null;
  }

  private void onFlushTimer(long generation) {
    Runnable work;
    synchronized (lock) {
      if (generation != batchGeneration) {
        return; // That batch was flushed by size already.
      }
      timerArmed = false;
      flushDue = true;
      work = planFlush();
    }
    run(work);
  }

  private void startFlush(long from, long to) {
    long maxBytes = 4 * options.batchBytesMax();
    submit(
            () -> {
              try {
                long end = log.append(records, from, to, maxBytes);
                return new StreamLog.Appended(end, memory.bytesBetween(from, end));
              } catch (IOException | RuntimeException e) {
                log.abandonActive();
                throw e;
              }
            })
        .whenComplete((result, error) -> onFlushed(from, to, result, error));
  }

  private void onFlushed(long from, long to, StreamLog.Appended result, Throwable error) {
    Runnable work;
    Runnable seal = null;
    Runnable gc = null;
    boolean wakeReaders = false;
    boolean wakeWriter = false;
    synchronized (lock) {
      flushing = false;
      flushInFlight = false;
      if (error != null) {
        Throwable cause = unwrap(error);
        persistFailures++;
        persistenceError = cause;
        if (closing) {
          LOG.warn("rStream {}: persisting [{}, {}) failed while closing; giving up: {}", id, from, to, cause.toString());
          closed = true;
          work = () -> closedFuture.complete(null);
        } else {
          long delay = retryDelayMs;
          retryDelayMs = Math.min(options.retryDelayMsMax(), retryDelayMs * 2);
          retryScheduled = true;
          LOG.warn(
              "rStream {}: persisting [{}, {}) failed (failure {}), retrying in {} ms: {}",
              id, from, to, persistFailures, delay, cause.toString());
          work = () -> io.setTimer(delay, this::onRetry);
        }
      } else {
        retryDelayMs = options.retryDelayMsMin();
        persistenceError = null;
        durableBytes = durableBytes + result.eventBytes();
        durableSeq = result.endSeq();
        if (synchronous) {
          visibleBytes = durableBytes;
          visibleSeq = durableSeq;
          wakeReaders = true;
        }
        memory.trim(releasedSeqVisible, durableSeq, options.memoryBytesMax());
        rolledSegments = log.rolledCount();
        if (backlogWaiter && !overBacklog()) {
          backlogWaiter = false;
          wakeWriter = true;
        }
        work = planFlush();
        seal = planSeal();
        gc = planGc();
      }
    }
    if (wakeReaders) {
      fire(publishListeners);
    }
    if (wakeWriter) {
      fire(releaseListeners);
    }
    run(work);
    run(seal);
    run(gc);
  }

  private void onRetry() {
    Runnable work;
    synchronized (lock) {
      retryScheduled = false;
      flushDue = true;
      work = planFlush();
    }
    run(work);
  }

  /** Closes the segments the flush chain rolled, one task at a time; under lock. */
  private Runnable planSeal() {
    if (sealing || closed || rolledSegments == 0) {
      return null;
    }
    sealing = true;
    return () ->
        submit(
                () -> {
                  log.sealRolled();
                  return null;
                })
            .whenComplete((ignored, error) -> onSealed(error));
  }

  private void onSealed(Throwable error) {
    if (error != null) {
      LOG.warn("rStream {}: closing full segments failed: {}", id, unwrap(error).toString());
    }
    Runnable work;
    Runnable seal;
    Runnable gc;
    synchronized (lock) {
      sealing = false;
      rolledSegments = log.rolledCount();
      work = planFlush(); // A close that waited for this seal.
      seal = planSeal(); // Segments rolled meanwhile.
      gc = planGc(); // The sealed segments may go now.
    }
    wakeBacklogWaiter(); // A writer held back by the full segments waiting here.
    run(work);
    run(seal);
    run(gc);
  }

  /** Closes the active segment once everything is durable; under lock. */
  private Runnable planClose() {
    closed = true;
    return () ->
        submit(
                () -> {
                  log.closeActive();
                  return null;
                })
            .whenComplete(
                (ignored, error) -> {
                  if (error != null) {
                    LOG.warn("rStream {}: closing its segment failed: {}", id, unwrap(error).toString());
                  }
                  closedFuture.complete(null);
                });
  }

  /**
   * Persists what was published, closes the active segment, stops the flush chain and waits for
   * the checks of rewrites handed off so far. After a flush failure (or a failed read-back of
   * rewrites) while closing, it gives up (logged) rather than retry forever.
   */
  public CompletionStage<Void> closeAsync() {
    Runnable work;
    synchronized (lock) {
      if (closing) {
        return closedAndVerified;
      }
      closing = true;
      // Make the last attempt now rather than wait for a retry timer; if it fails, give up.
      retryScheduled = false;
      work = planFlush();
      closedAndVerified = closedFuture.thenCombine(verifierClosed, (closed, verified) -> null);
    }
    verifier.closeAsync().thenRun(() -> verifierClosed.complete(null));
    run(work);
    return closedAndVerified;
  }

  // ---------------------------------------------------------------------------------------------
  // Reader

  @Override
  public StreamEvent read(long seq) {
    UncheckedIOException failure = readFailure;
    if (failure != null) {
      throw failure;
    }
    if (seq >= visibleSeq) {
      maybeRegenerate();
      return null;
    }
    // Below the released seq is fine (a restarted reader reads its input again): the events are
    // durable, so tier 2 has them until they are garbage-collected.
    if (seq < gcWatermarkVisible) {
      throw new IllegalStateException(
          "rStream " + id + ": seq " + seq + " was garbage-collected (below " + gcWatermarkVisible + ")");
    }
    long chunkIndex = seq >>> MemoryTier.CHUNK_SHIFT;
    if (chunkIndex != readChunkIndex || readEvents == null) {
      MemoryTier.Chunk chunk = memory.chunk(chunkIndex);
      readEvents = chunk == null ? null : chunk.events;
      readChunkIndex = chunkIndex;
    }
    if (readEvents != null) {
      StreamEvent event = readEvents[(int) (seq & MemoryTier.CHUNK_MASK)];
      if (event != null) {
        return event;
      }
    }
    LoadedBlock block = loaded;
    if (block != null && block.contains(seq)) {
      return block.events[(int) (seq - block.from)];
    }
    requestLoad(seq);
    return null;
  }

  private void maybeRegenerate() {
    if (!writerLost) {
      return;
    }
    int epoch = lossEpoch;
    if (epoch == regeneratedEpoch) {
      return;
    }
    regeneratedEpoch = epoch;
    long from = visibleSeq;
    LOG.info("rStream {}: writer {} is gone; asking to regenerate from seq {}", id, producer, from);
    regeneration.regenerate(id, producer, from);
  }

  /** Tier 2: loads a block from the segments; the reader is woken when it is there. */
  private void requestLoad(long seq) {
    long limit;
    synchronized (lock) {
      if (loading) {
        return;
      }
      loading = true;
      limit = durableSeq;
    }
    submit(() -> new LoadedBlock(seq, log.read(seq, limit, options.readBytesMax())))
        .whenComplete((block, error) -> onLoaded(seq, block, error));
  }

  private void onLoaded(long seq, LoadedBlock block, Throwable error) {
    if (error == null) {
      loaded = block;
      synchronized (lock) {
        loading = false;
        readRetryDelayMs = options.retryDelayMsMin();
      }
      fire(publishListeners);
      return;
    }
    Throwable cause = unwrap(error);
    if (cause instanceof CorruptSegmentException corrupt) {
      LOG.error("rStream {}: reading seq {} failed: {}", id, seq, corrupt.getMessage());
      readFailure = new UncheckedIOException("rStream " + id + ": " + corrupt.getMessage(), corrupt);
      synchronized (lock) {
        loading = false;
      }
      fire(publishListeners);
      return;
    }
    long delay;
    synchronized (lock) {
      delay = readRetryDelayMs;
      readRetryDelayMs = Math.min(options.retryDelayMsMax(), readRetryDelayMs * 2);
    }
    LOG.warn("rStream {}: reading seq {} failed, retrying in {} ms: {}", id, seq, delay, cause.toString());
    io.setTimer(
        delay,
        () -> {
          synchronized (lock) {
            loading = false;
          }
          fire(publishListeners);
        });
  }

  @Override
  public void releaseBelow(long seq) {
    long upTo = Math.min(seq, visibleSeq);
    if (upTo <= releasedSeq) {
      return;
    }
    long bytes = memory.bytesBetween(releasedSeq, upTo);
    releasedSeq = upTo;
    releasedSeqVisible = upTo;
    releasedBytes.addAndGet(bytes);
    LoadedBlock block = loaded;
    if (block != null && block.end() <= upTo) {
      loaded = null;
    }
    Runnable gc = null;
    synchronized (lock) {
      memory.trim(upTo, durableSeq, options.memoryBytesMax());
      if (options.gcOnRelease()) {
        gc = raiseGcWatermark(upTo);
      }
    }
    run(gc);
    fire(releaseListeners);
  }

  @Override
  public boolean persistent() {
    return true;
  }

  @Override
  public long unreleasedBytes() {
    return visibleBytes - releasedBytes.get();
  }

  @Override
  public void setReaderWaitsElsewhere(boolean waits) {
    boolean was = readerWaitsElsewhere;
    readerWaitsElsewhere = waits;
    if (waits && !was) {
      fire(releaseListeners);
    }
  }

  @Override
  public boolean readerWaitsElsewhere() {
    return readerWaitsElsewhere;
  }

  @Override
  public void onPublished(Runnable listener) {
    publishListeners.add(listener);
  }

  @Override
  public void onReleased(Runnable listener) {
    releaseListeners.add(listener);
  }

  // ---------------------------------------------------------------------------------------------
  // Garbage collection

  @Override
  public void gcBelow(long seq) {
    Runnable gc;
    synchronized (lock) {
      gc = raiseGcWatermark(seq);
    }
    run(gc);
  }

  private Runnable raiseGcWatermark(long seq) {
    if (seq > gcWatermark) {
      gcWatermark = seq;
      gcWatermarkVisible = seq;
    }
    return planGc();
  }

  /** Deletes whole segments below the watermark if there are any; under lock. */
  private Runnable planGc() {
    long below = Math.min(gcWatermark, durableSeq);
    if (collecting || closed || log.collectableBelow(below) == 0) {
      return null;
    }
    collecting = true;
    return () ->
        submit(() -> log.deleteBelow(below))
            .whenComplete(
                (deleted, error) -> {
                  Runnable next;
                  synchronized (lock) {
                    collecting = false;
                    next = error == null ? planGc() : null;
                  }
                  if (error != null) {
                    LOG.warn("rStream {}: deleting segments below seq {} failed: {}", id, below, unwrap(error).toString());
                  }
                  run(next);
                });
  }

  // ---------------------------------------------------------------------------------------------

  private <T> CompletionStage<T> submit(Callable<T> task) {
    try {
      return io.executeBlocking(task);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private static Throwable unwrap(Throwable error) {
    Throwable cause = error;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  private static void run(Runnable work) {
    if (work != null) {
      work.run();
    }
  }

  private static void fire(List<Runnable> listeners) {
    for (Runnable listener : listeners) {
      listener.run();
    }
  }

  @Override
  public String toString() {
    return "PersistentRStream[" + id + ", " + options.strategy() + ", visible=" + visibleSeq
        + ", durable=" + durableSeq + ", released=" + releasedSeq + "]";
  }
}
