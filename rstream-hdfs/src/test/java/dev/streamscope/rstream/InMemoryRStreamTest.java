package dev.streamscope.rstream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class InMemoryRStreamTest {
  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void readsOnlyWhatWasPublished() {
    InMemoryRStream stream = new InMemoryRStream("s", "producer");
    stream.write(StreamEvent.data(0, bytes("a")));
    assertNull(stream.read(0), "written but not published");
    stream.publish();
    assertArrayEquals(bytes("a"), stream.read(0).payload());
    assertNull(stream.read(1));
    assertEquals(1, stream.publishedSeq());
  }

  @Test
  void rewritingTheSameEventIsANoOp() {
    InMemoryRStream stream = new InMemoryRStream("s", "producer");
    stream.write(StreamEvent.data(0, bytes("a")));
    stream.write(StreamEvent.watermark(1, 10));
    stream.write(StreamEvent.data(0, bytes("a")));
    stream.write(StreamEvent.watermark(1, 10));
    assertEquals(2, stream.nextSeq());
  }

  @Test
  void differentValueForAnExistingSeqIsADeterminismViolation() {
    InMemoryRStream stream = new InMemoryRStream("orders", "Count#1");
    stream.write(StreamEvent.data(0, bytes("a")));
    DeterminismViolationException error =
        assertThrows(
            DeterminismViolationException.class, () -> stream.write(StreamEvent.data(0, bytes("b"))));
    assertTrue(error.getMessage().contains("orders"), error.getMessage());
    assertTrue(error.getMessage().contains("seq 0"), error.getMessage());
    assertTrue(error.getMessage().contains("Count#1"), error.getMessage());
  }

  @Test
  void aGapIsRefused() {
    InMemoryRStream stream = new InMemoryRStream("s", "p");
    assertThrows(IllegalArgumentException.class, () -> stream.write(StreamEvent.data(1, bytes("a"))));
  }

  @Test
  void releaseFreesBytesAcrossChunksAndWakesTheWriter() {
    InMemoryRStream stream = new InMemoryRStream("s", "p");
    AtomicInteger released = new AtomicInteger();
    stream.onReleased(released::incrementAndGet);
    int count = 5_000; // several chunks
    for (int i = 0; i < count; i++) {
      stream.write(StreamEvent.data(i, new byte[10]));
    }
    stream.publish();
    long before = stream.unreleasedBytes();
    assertEquals((long) count * StreamEvent.data(0, new byte[10]).sizeBytes(), before);
    stream.releaseBelow(3_000);
    assertEquals(before - 3_000L * StreamEvent.data(0, new byte[10]).sizeBytes(), stream.unreleasedBytes());
    assertEquals(1, released.get());
    assertThrows(IllegalStateException.class, () -> stream.read(10));
    assertEquals(3_000, stream.read(3_000).seq());
    assertEquals(4_999, stream.read(4_999).seq());
  }

  @Test
  void publishWakesListenersOnlyWhenSomethingIsNew() {
    InMemoryRStream stream = new InMemoryRStream("s", "p");
    AtomicInteger wakeUps = new AtomicInteger();
    stream.onPublished(wakeUps::incrementAndGet);
    stream.publish();
    assertEquals(0, wakeUps.get());
    stream.write(StreamEvent.end(0));
    stream.publish();
    stream.publish();
    assertEquals(1, wakeUps.get());
  }

  private static InMemoryRStream retainingStreamOf(int count) {
    InMemoryRStream stream = new InMemoryRStream("kept", "p", true);
    for (int i = 0; i < count; i++) {
      stream.write(StreamEvent.data(i, bytes("e" + i)));
    }
    stream.publish();
    return stream;
  }

  @Test
  void aRetainingStreamKeepsReleasedEventsUntilGarbageCollected() {
    InMemoryRStream stream = retainingStreamOf(5_000); // 5 chunks of 1024
    stream.releaseBelow(5_000);
    assertEquals(5, stream.chunkCount(), "released, but retained for a restarted reader");
    assertEquals(0, stream.unreleasedBytes());
    assertEquals(10, stream.read(10).seq());

    stream.gcBelow(3_000);
    assertEquals(3, stream.chunkCount(), "the whole chunks below seq 3000 are dropped");
    IllegalStateException error = assertThrows(IllegalStateException.class, () -> stream.read(2_999));
    assertTrue(error.getMessage().contains("kept"), error.getMessage());
    assertTrue(error.getMessage().contains("seq 2999 was garbage-collected (below 3000)"), error.getMessage());
    assertArrayEquals(bytes("e3000"), stream.read(3_000).payload());
    assertArrayEquals(bytes("e4999"), stream.read(4_999).payload());
  }

  @Test
  void rewritesBelowTheGcPointAreAbsorbedAndAboveItChecked() {
    InMemoryRStream stream = retainingStreamOf(3_000);
    stream.releaseBelow(3_000);
    stream.gcBelow(2_000);
    stream.write(StreamEvent.data(100, bytes("other"))); // nothing left to compare with
    stream.write(StreamEvent.data(2_000, bytes("e2000")));
    assertThrows(DeterminismViolationException.class, () -> stream.write(StreamEvent.data(2_001, bytes("other"))));
    assertThrows(IllegalStateException.class, () -> stream.read(100), "the absorbed rewrite is not readable");
  }

  @Test
  void garbageCollectionPastTheReleasedSeqFreesChunksOnceTheReaderReleasesThem() {
    InMemoryRStream stream = retainingStreamOf(5_000);
    stream.releaseBelow(1_000);
    stream.gcBelow(4_000);
    assertEquals(5, stream.chunkCount(), "the reader has not released them yet");
    assertThrows(IllegalStateException.class, () -> stream.read(3_999));
    stream.releaseBelow(5_000);
    assertEquals(2, stream.chunkCount(), "chunks below seq 3072 are gone");
    assertEquals(0, stream.unreleasedBytes(), "released bytes are counted across dropped chunks");
    assertEquals(4_000, stream.read(4_000).seq());
  }

  @Test
  void garbageCollectionStopsAtThePublishedSeq() {
    InMemoryRStream stream = retainingStreamOf(10);
    stream.gcBelow(1_000_000);
    stream.write(StreamEvent.data(10, bytes("e10")));
    stream.publish();
    assertArrayEquals(bytes("e10"), stream.read(10).payload(), "what comes after stays readable");
    assertThrows(IllegalStateException.class, () -> stream.read(9));
  }
}
