package dev.streamscope.rstream;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The memory-only rStream: events live in fixed-size chunks until the reader releases them.
 *
 * <p>The writer fills chunk slots, then {@link #publish()} moves the volatile {@code publishedSeq}
 * forward; that volatile write is what makes the slots visible to the reader thread, so reads take
 * no lock. Durable seq is 0: nothing here survives the process.
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
    if (event.seq() < releasedSeqVisible && !retainReleased) {
      return; // Released: the reader is past it, so the duplicate is absorbed without a check.
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
    releasedBytes.addAndGet(bytes);
    for (Runnable listener : releaseListeners) {
      listener.run();
    }
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
