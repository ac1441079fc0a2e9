package dev.streamscope.rstream.segment;

import dev.streamscope.rstream.StreamEvent;
import java.io.IOException;
import java.util.Arrays;
import java.util.Iterator;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.zip.CRC32C;

/**
 * Records of consecutive seqs, already encoded in the segment format, waiting to be persisted.
 * The writer encodes each event once, when it is written (its bytes are still in the CPU caches),
 * into blocks of {@link #BLOCK_BYTES}; the flush chain hands the encoded bytes to the file system
 * as they are, one {@code write} per block, and recycles the blocks once they are durable. So
 * persisting an event costs no second pass over it, no per-event allocation and no copy into a
 * batch buffer.
 *
 * <p>Threading: {@link #append} on the writer's thread only. {@link #read} on the flush chain
 * only (one call at a time), for seqs the writer appended before a volatile write that the flush
 * chain read before (the stream's published seq), which makes the bytes visible.
 */
public final class RecordBuffer {
  /** Bytes of a block: as far apart as segment index entries may be. */
  public static final int BLOCK_BYTES = (int) SegmentFormat.INDEX_INTERVAL_BYTES;
  private static final int RECORDS_PER_BLOCK_MAX = BLOCK_BYTES / SegmentFormat.RECORD_OVERHEAD_BYTES + 1;

  /** Receives the encoded records of one block: those of {@code firstSeq} and after. */
  @FunctionalInterface
  public interface Sink {
    void write(long firstSeq, byte[] bytes, int offset, int length) throws IOException;
  }

  /** Encoded records of {@code [firstSeq, next block's firstSeq)}, back to back. */
  private static final class Block {
    final byte[] bytes;
    final int[] ends; // ends[i]: offset just past the record of seq firstSeq + i
    long firstSeq;
    int used; // writer-owned
    int count; // writer-owned

    Block(int bytes, int records) {
      this.bytes = new byte[bytes];
      this.ends = new int[records];
    }
  }

  private final ConcurrentLinkedQueue<Block> blocks = new ConcurrentLinkedQueue<>(); // by seq
  private final ArrayBlockingQueue<Block> free; // recycled standard blocks, for the writer

  // Writer-owned.
  private final CRC32C crc = new CRC32C();
  private Block writing;
  private long nextSeq;

  /**
   * An empty buffer whose first record will be {@code firstSeq}'s; it keeps up to {@code
   * spareBytesMax} of durable blocks for reuse.
   */
  public RecordBuffer(long firstSeq, long spareBytesMax) {
    this.nextSeq = firstSeq;
    this.free = new ArrayBlockingQueue<>((int) Math.max(1, Math.min(1 << 16, spareBytesMax / BLOCK_BYTES)));
  }

  /**
   * Encodes the record of {@code event}, which must have the next seq (writer thread).
   *
   * @throws IllegalArgumentException for a gap, or an event too large for a segment
   */
  public void append(StreamEvent event) {
    if (event.seq() != nextSeq) {
      throw new IllegalArgumentException("record of seq " + event.seq() + " appended where " + nextSeq + " is next");
    }
    int bytes = SegmentFormat.recordBytes(event);
    Block block = writing;
    if (block == null || block.bytes.length - block.used < bytes || block.count == block.ends.length) {
      block = startBlock(bytes);
    }
    block.used = SegmentFormat.encodeRecord(event, block.bytes, block.used, crc);
    block.ends[block.count++] = block.used;
    nextSeq++;
  }

  private Block startBlock(int recordBytes) {
    Block block = null;
    if (recordBytes <= BLOCK_BYTES) {
      block = free.poll();
      if (block == null) {
        block = new Block(BLOCK_BYTES, RECORDS_PER_BLOCK_MAX);
      }
    } else {
      block = new Block(recordBytes, 1); // One large event: a block of its own, not recycled.
    }
    block.firstSeq = nextSeq;
    block.used = 0;
    block.count = 0;
    blocks.add(block); // Publishes firstSeq to the flush chain.
    writing = block;
    return block;
  }

  /**
   * Hands the records of {@code [fromSeq, end)} to {@code sink}, one call per block, where {@code
   * end <= toSeq} follows the record that reaches {@code maxBytes} (at least one record is
   * taken); returns {@code end}. Blocks wholly below {@code fromSeq} — durable by the
   * flush chain's order — are recycled first (flush chain only).
   */
  public long read(long fromSeq, long toSeq, long maxBytes, Sink sink) throws IOException {
    recycleBelow(fromSeq);
    Iterator<Block> iterator = blocks.iterator();
    Block block = iterator.hasNext() ? iterator.next() : null;
    if (block == null || block.firstSeq > fromSeq) {
      throw new IllegalStateException("seq " + fromSeq + " is not in the record buffer");
    }
    long seq = fromSeq;
    long bytes = 0;
    while (seq < toSeq && (bytes < maxBytes || seq == fromSeq)) {
      Block next = iterator.hasNext() ? iterator.next() : null;
      long blockEnd = next == null ? toSeq : Math.min(toSeq, next.firstSeq);
      if (seq < blockEnd) {
        int first = (int) (seq - block.firstSeq);
        int last = (int) (blockEnd - block.firstSeq) - 1;
        int start = first == 0 ? 0 : block.ends[first - 1];
        if (block.ends[last] - start > maxBytes - bytes) {
          // The batch is full within this block: end it with the record that reaches maxBytes.
          int reach = Arrays.binarySearch(block.ends, first, last, (int) (start + maxBytes - bytes));
          last = reach >= 0 ? reach : -reach - 1;
        }
        int end = block.ends[last];
        sink.write(seq, block.bytes, start, end - start);
        bytes += end - start;
        seq = block.firstSeq + last + 1;
        if (seq < blockEnd) {
          break;
        }
      }
      block = next;
    }
    return seq;
  }

  /** Drops blocks whose records all lie below {@code seq} (flush chain only). */
  private void recycleBelow(long seq) {
    while (true) {
      Iterator<Block> iterator = blocks.iterator();
      Block head = iterator.hasNext() ? iterator.next() : null;
      Block next = iterator.hasNext() ? iterator.next() : null;
      if (head == null || next == null || next.firstSeq > seq) {
        return;
      }
      blocks.poll(); // head: the flush chain is the only one that removes
      if (head.bytes.length == BLOCK_BYTES) {
        free.offer(head); // Dropped if enough are spare.
      }
    }
  }
}
