package dev.streamscope.rstream;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The memory-only rStream: events live in fixed-size chunks until the reader releases them, or,
 * for a stream that retains released events, until {@link #gcBelow} says nobody needs them.
 *
 * <p>The writer fills chunk slots, then {@link #publish()} moves the volatile {@code publishedSeq}
 * forward; that volatile write is what makes the slots visible to the reader thread, so reads take
 * no lock. Durable seq is 0: nothing here survives the process.
 *
 * <p>Uniqueness is checked in {@link #write} against every event still held; a rewrite of a seq
 * that is gone (released without retention, or below the {@link #gcBelow} point) is absorbed
 * unchecked, since nobody can read that seq any more.
 */
public final class InMemoryRStream implements RStream {
  private static final int CHUNK_SHIFT = 10;
  private static final int CHUNK_SIZE = 1 << CHUNK_SHIFT;
  private static final int CHUNK_MASK = CHUNK_SIZE - 1;

  private final String id;
  private final String producer;
  private final boolean retainReleased;
  private final ConcurrentHashMap<Long, StreamEvent[]> chunks = new ConcurrentHashMap<>();
  private final List<Runnable> publishListeners = new CopyOnWriteArrayList<>();
  private final List<Runnable> releaseListeners = new CopyOnWriteArrayList<>();
  private final AtomicLong publishedBytes = new AtomicLong();
  private final AtomicLong releasedBytes = new AtomicLong();
  private volatile boolean readerWaitsElsewhere;

  // Writer-owned.
  private long nextSeq;
  private long writtenBytes;
  private StreamEvent[] writeChunk;
  private long writeChunkIndex = -1;

  // Reader-owned.
  private long releasedSeq;
  private StreamEvent[] readChunk;
  private long readChunkIndex = -1;

  private volatile long publishedSeq;
  private volatile long releasedSeqVisible;
  // Reads below it fail, rewrites below it are absorbed.
  private volatile long gcSeqVisible;

  // Whole chunks below this index are dropped; guarded by gcLock (taken once per release or GC).
  private final Object gcLock = new Object();
  private long droppedChunks;

  public InMemoryRStream(String id, String producer) {
    this(id, producer, false);
  }

  /**
   * With {@code retainReleased}, released events still count as consumed for back-pressure but
   * stay readable, so a restarted reader can read its input again from the start (recompute).
   */
  public InMemoryRStream(String id, String producer, boolean retainReleased) {
    this.id = id;
    this.producer = producer;
    this.retainReleased = retainReleased;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public void write(StreamEvent event) {
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
    long chunkIndex = seq >>> CHUNK_SHIFT;
    if (chunkIndex != writeChunkIndex) {
      writeChunk = new StreamEvent[CHUNK_SIZE];
      writeChunkIndex = chunkIndex;
      chunks.put(chunkIndex, writeChunk);
    }
    writeChunk[(int) (seq & CHUNK_MASK)] = event;
    writtenBytes += event.sizeBytes();
    nextSeq = seq + 1;
  }

  private void checkSameAsExisting(StreamEvent event) {
    if ((event.seq() < releasedSeqVisible && !retainReleased) || event.seq() < gcSeqVisible) {
      return; // Gone: nobody reads it any more, so the duplicate is absorbed without a check.
    }
    StreamEvent[] chunk = chunks.get(event.seq() >>> CHUNK_SHIFT);
    StreamEvent existing = chunk == null ? null : chunk[(int) (event.seq() & CHUNK_MASK)];
    if (existing != null && !existing.sameContent(event)) {
      throw new DeterminismViolationException(id, event.seq(), producer, existing, event);
    }
  }

  @Override
  public void publish() {
    if (publishedSeq == nextSeq) {
      return;
    }
    publishedBytes.set(writtenBytes);
    publishedSeq = nextSeq;
    for (Runnable listener : publishListeners) {
      listener.run();
    }
  }

  @Override
  public long nextSeq() {
    return nextSeq;
  }

  @Override
  public long publishedSeq() {
    return publishedSeq;
  }

  @Override
  public StreamEvent read(long seq) {
    if (seq >= publishedSeq) {
      return null;
    }
    if (seq < releasedSeq && !retainReleased) {
      throw new IllegalStateException(
          "rStream " + id + ": seq " + seq + " was released (released below " + releasedSeq + ")");
    }
    long gcSeq = gcSeqVisible;
    if (seq < gcSeq) {
      throw new IllegalStateException(
          "rStream " + id + ": seq " + seq + " was garbage-collected (below " + gcSeq + ")");
    }
    long chunkIndex = seq >>> CHUNK_SHIFT;
    if (chunkIndex != readChunkIndex) {
      readChunk = chunks.get(chunkIndex);
      readChunkIndex = chunkIndex;
    }
    return readChunk[(int) (seq & CHUNK_MASK)];
  }

  @Override
  public void releaseBelow(long seq) {
    long upTo = Math.min(seq, publishedSeq);
    if (upTo <= releasedSeq) {
      return;
    }
    long bytes = 0;
    for (long s = releasedSeq; s < upTo; s++) {
      StreamEvent[] chunk = chunks.get(s >>> CHUNK_SHIFT);
      bytes += chunk[(int) (s & CHUNK_MASK)].sizeBytes();
    }
    if (!retainReleased) {
      for (long chunk = releasedSeq >>> CHUNK_SHIFT; chunk < upTo >>> CHUNK_SHIFT; chunk++) {
        chunks.remove(chunk);
      }
      if (readChunkIndex < upTo >>> CHUNK_SHIFT) {
        readChunk = null;
        readChunkIndex = -1;
      }
    }
    releasedSeq = upTo;
    releasedSeqVisible = upTo;
    if (retainReleased && gcSeqVisible > 0) {
      dropChunksBelow(upTo);
    }
    releasedBytes.addAndGet(bytes);
    for (Runnable listener : releaseListeners) {
      listener.run();
    }
  }

  /**
   * Declares that nobody, not even a restarted reader, will read below {@code seq} (clamped to
   * the published seq): reads below it fail from now on, rewrites below it are absorbed unchecked.
   * A stream that retains released events drops the whole chunks below both this point and the
   * reader's released seq (the released seq still counts the bytes that back-pressure sees); one
   * that does not retain them has dropped them at release already. Any thread.
   */
  @Override
  public void gcBelow(long seq) {
    long upTo = Math.min(seq, publishedSeq);
    synchronized (gcLock) {
      if (upTo <= gcSeqVisible) {
        return;
      }
      gcSeqVisible = upTo;
    }
    if (retainReleased) {
      dropChunksBelow(releasedSeqVisible);
    }
  }

  /** Drops whole chunks below {@code min(gc point, releasedSeq)} (retaining streams). */
  private void dropChunksBelow(long releasedSeq) {
    long below = Math.min(gcSeqVisible, releasedSeq) >>> CHUNK_SHIFT;
    synchronized (gcLock) {
      for (; droppedChunks < below; droppedChunks++) {
        chunks.remove(droppedChunks);
      }
    }
  }

  /** Chunks of {@value #CHUNK_SIZE} events held in memory (for tests and metrics). */
  public int chunkCount() {
    return chunks.size();
  }

  @Override
  public long durableSeq() {
    return 0;
  }

  @Override
  public long unreleasedBytes() {
    return publishedBytes.get() - releasedBytes.get();
  }

  @Override
  public void setReaderWaitsElsewhere(boolean waits) {
    boolean was = readerWaitsElsewhere;
    readerWaitsElsewhere = waits;
    if (waits && !was) {
      for (Runnable listener : releaseListeners) {
        listener.run();
      }
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

  @Override
  public String toString() {
    return "InMemoryRStream[" + id + ", published=" + publishedSeq + ", released=" + releasedSeq + "]";
  }
}
