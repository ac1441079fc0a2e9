package dev.streamscope.rstream.segment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamscope.rstream.StreamEvent;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

class RecordBufferTest {
  private static StreamEvent event(long seq) {
    byte[] payload = new byte[100 + (int) (seq % 7)];
    payload[0] = (byte) seq;
    return seq % 50 == 49 ? StreamEvent.watermark(seq, seq * 10) : StreamEvent.data(seq, payload);
  }

  /** The records of [from, to) as encodeRecord writes them one by one. */
  private static byte[] expected(long from, long to) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (long seq = from; seq < to; seq++) {
      byte[] record = new byte[SegmentFormat.recordBytes(event(seq))];
      SegmentFormat.encodeRecord(event(seq), record, 0, new CRC32C());
      out.write(record, 0, record.length);
    }
    return out.toByteArray();
  }

  /** What a sink received: the bytes, and the first seq and length of each call. */
  private static final class Collected implements RecordBuffer.Sink {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final List<long[]> calls = new ArrayList<>();

    @Override
    public void write(long firstSeq, byte[] b, int offset, int length) {
      bytes.write(b, offset, length);
      calls.add(new long[] {firstSeq, length});
    }
  }

  @Test
  void readsBackTheRecordsOfEachRangeOneCallPerBlock() throws Exception {
    RecordBuffer buffer = new RecordBuffer(1_000, 1 << 20);
    for (long seq = 1_000; seq < 3_000; seq++) {
      buffer.append(event(seq));
    }
    long at = 1_000;
    for (long to : new long[] {1_001, 1_700, 3_000}) {
      Collected sink = new Collected();
      assertEquals(to, buffer.read(at, to, Long.MAX_VALUE, sink));
      assertArrayEquals(expected(at, to), sink.bytes.toByteArray(), "records [" + at + ", " + to + ")");
      long seq = at;
      for (long[] call : sink.calls) {
        assertEquals(seq, call[0], "each call starts at the seq after the previous one");
        assertTrue(call[1] <= RecordBuffer.BLOCK_BYTES, "at most a block per call: " + call[1]);
        seq = call[0] + countRecords(call[0], call[1]);
      }
      assertEquals(to, seq);
      at = to;
    }
  }

  private static long countRecords(long firstSeq, long bytes) {
    long seq = firstSeq;
    for (long left = bytes; left > 0; seq++) {
      left -= SegmentFormat.recordBytes(event(seq));
    }
    return seq - firstSeq;
  }

  @Test
  void aBatchEndsWithTheRecordThatReachesMaxBytes() throws Exception {
    RecordBuffer buffer = new RecordBuffer(0, 1 << 20);
    for (long seq = 0; seq < 2_000; seq++) {
      buffer.append(event(seq));
    }
    for (long maxBytes : new long[] {1, 500, 100_000, 150_000}) {
      Collected sink = new Collected();
      long end = buffer.read(0, 2_000, maxBytes, sink);
      int bytes = sink.bytes.size();
      assertTrue(bytes >= maxBytes, maxBytes + ": " + bytes);
      assertTrue(bytes - SegmentFormat.recordBytes(event(end - 1)) < maxBytes, maxBytes + ": one record too many");
      assertArrayEquals(expected(0, end), sink.bytes.toByteArray());
    }
  }

  @Test
  void recyclesDurableBlocksAndKeepsWhatIsNot() throws Exception {
    RecordBuffer buffer = new RecordBuffer(0, 1 << 20);
    long next = 0;
    for (int round = 0; round < 20; round++) {
      for (int i = 0; i < 1_500; i++) {
        buffer.append(event(next++));
      }
      long from = round * 1_500L;
      Collected sink = new Collected();
      assertEquals(next, buffer.read(from, next, Long.MAX_VALUE, sink));
      assertArrayEquals(expected(from, next), sink.bytes.toByteArray(), "round " + round);
    }
    // A retry re-reads from the durable seq, which may lie inside a block.
    Collected again = new Collected();
    buffer.read(next - 7, next, Long.MAX_VALUE, again);
    assertArrayEquals(expected(next - 7, next), again.bytes.toByteArray());
    long end = next;
    assertThrows(IllegalStateException.class, () -> buffer.read(0, end, Long.MAX_VALUE, new Collected()));
  }

  @Test
  void aLargeEventGetsABlockOfItsOwn() throws Exception {
    RecordBuffer buffer = new RecordBuffer(0, 1 << 20);
    buffer.append(event(0));
    buffer.append(StreamEvent.data(1, new byte[3 * RecordBuffer.BLOCK_BYTES]));
    buffer.append(event(2));
    Collected sink = new Collected();
    assertEquals(3, buffer.read(0, 3, Long.MAX_VALUE, sink));
    assertEquals(3, sink.calls.size());
    assertEquals(SegmentFormat.RECORD_OVERHEAD_BYTES + 3 * RecordBuffer.BLOCK_BYTES, sink.calls.get(1)[1]);
  }

  @Test
  void refusesGaps() {
    RecordBuffer buffer = new RecordBuffer(5, 1 << 20);
    IllegalArgumentException gap =
        assertThrows(IllegalArgumentException.class, () -> buffer.append(event(6)));
    assertTrue(gap.getMessage().contains("seq 6") && gap.getMessage().contains("5 is next"), gap.getMessage());
  }
}
