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
}
