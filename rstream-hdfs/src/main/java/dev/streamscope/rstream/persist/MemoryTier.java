package dev.streamscope.rstream.persist;

import dev.streamscope.rstream.StreamEvent;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tier 1 of a persisted rStream: events in fixed-size chunks, indexed by seq.
 *
 * <p>A chunk keeps the sizes of its events for as long as it exists (byte accounting for
 * releases), but drops its events once they are durable and either released by the reader
 * (the chunk goes) or the tier holds more than its byte limit (the events are <em>evicted</em>,
 * oldest first, and read back from segments). Events that are not durable yet are never dropped:
 * reads and uniqueness checks find them nowhere else.
 *
 * <p>Threading: {@link #put} and {@link #published} on the writer's thread; {@link #chunk},
 * {@link #existing} and {@link #bytesBetween} on any thread for seqs already published (the
 * stream's volatile published seq orders the slots); {@link #trim} under the stream's lock.
 */
final class MemoryTier {
  static final int CHUNK_SHIFT = 10;
  static final int CHUNK_SIZE = 1 << CHUNK_SHIFT;
  static final int CHUNK_MASK = CHUNK_SIZE - 1;

  /** One chunk: {@code CHUNK_SIZE} consecutive seqs. */
  static final class Chunk {
    final int[] sizes = new int[CHUNK_SIZE];
    /** Null once evicted. */
    volatile StreamEvent[] events = new StreamEvent[CHUNK_SIZE];
  }

  private final ConcurrentHashMap<Long, Chunk> chunks = new ConcurrentHashMap<>();
  // Resident bytes = published (writer) - dropped (under the stream's lock): no shared counter on
  // the writer's path.
  private volatile long publishedBytes;
  private volatile long droppedBytes;

  // Writer-owned.
  private Chunk writeChunk;
  private long writeChunkIndex = -1;

  // Guarded by the stream's lock.
  private long lowestChunk;
  private long lowestResidentChunk;

  MemoryTier(long firstSeq) {
    this.lowestChunk = firstSeq >>> CHUNK_SHIFT;
    this.lowestResidentChunk = lowestChunk;
  }

  /** Stores the next event (writer thread). */
  void put(StreamEvent event) {
    long seq = event.seq();
    long chunkIndex = seq >>> CHUNK_SHIFT;
    if (chunkIndex != writeChunkIndex) {
      writeChunk = new Chunk();
      writeChunkIndex = chunkIndex;
      chunks.put(chunkIndex, writeChunk);
    }
    int slot = (int) (seq & CHUNK_MASK);
    writeChunk.sizes[slot] = event.sizeBytes();
    writeChunk.events[slot] = event;
  }

  /** All bytes published so far count as resident until dropped (writer thread). */
  void published(long totalBytes) {
    publishedBytes = totalBytes;
  }

  Chunk chunk(long chunkIndex) {
    return chunks.get(chunkIndex);
  }

  /** The event at {@code seq} if it is still in memory, else null. */
  StreamEvent existing(long seq) {
    Chunk chunk = chunks.get(seq >>> CHUNK_SHIFT);
    StreamEvent[] events = chunk == null ? null : chunk.events;
    return events == null ? null : events[(int) (seq & CHUNK_MASK)];
  }

  /** Sum of {@link StreamEvent#sizeBytes()} over {@code [from, to)}, for seqs this tier saw. */
  long bytesBetween(long from, long to) {
    long bytes = 0;
    long seq = from;
    while (seq < to) {
      long chunkIndex = seq >>> CHUNK_SHIFT;
      long chunkEnd = Math.min(to, (chunkIndex + 1) << CHUNK_SHIFT);
      Chunk chunk = chunks.get(chunkIndex);
      if (chunk != null) {
        for (long s = seq; s < chunkEnd; s++) {
          bytes += chunk.sizes[(int) (s & CHUNK_MASK)];
        }
      }
      seq = chunkEnd;
    }
    return bytes;
  }

  long residentBytes() {
    return publishedBytes - droppedBytes;
  }

  /**
   * Drops chunks below {@code min(releasedSeq, durableSeq)}, then evicts the oldest durable
   * chunks while more than {@code bytesMax} are resident. Under the stream's lock.
   */
  void trim(long releasedSeq, long durableSeq, long bytesMax) {
    long dropBelow = Math.min(releasedSeq, durableSeq);
    while (((lowestChunk + 1) << CHUNK_SHIFT) <= dropBelow) {
      Chunk chunk = chunks.remove(lowestChunk);
      if (chunk != null && chunk.events != null) {
        droppedBytes += sum(chunk);
      }
      lowestChunk++;
    }
    lowestResidentChunk = Math.max(lowestResidentChunk, lowestChunk);
    while (residentBytes() > bytesMax
        && ((lowestResidentChunk + 1) << CHUNK_SHIFT) <= durableSeq) {
      Chunk chunk = chunks.get(lowestResidentChunk);
      if (chunk != null && chunk.events != null) {
        chunk.events = null;
        droppedBytes += sum(chunk);
      }
      lowestResidentChunk++;
    }
  }

  private static long sum(Chunk chunk) {
    long bytes = 0;
    for (int size : chunk.sizes) {
      bytes += size;
    }
    return bytes;
  }
}
