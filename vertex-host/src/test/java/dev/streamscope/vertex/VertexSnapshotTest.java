package dev.streamscope.vertex;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamscope.rstream.StreamEvent;
import java.util.List;
import org.junit.jupiter.api.Test;

class VertexSnapshotTest {
  private static VertexSnapshot snapshot(List<VertexSnapshot.HeldTail> tails) {
    return new VertexSnapshot(
        7,
        true,
        1,
        List.of(new VertexSnapshot.ChannelPosition("in", 42, 5, false)),
        new long[] {5},
        new long[] {4},
        new boolean[] {true},
        List.of(new VertexSnapshot.OutputPosition("a", 13), new VertexSnapshot.OutputPosition("b", 3)),
        new int[] {1},
        new byte[] {9, 8},
        tails);
  }

  @Test
  void heldTailsSurviveEncodingEventForEvent() throws Exception {
    List<StreamEvent> events =
        List.of(
            StreamEvent.data(10, new byte[] {1, 2, 3}),
            StreamEvent.watermark(11, 77),
            StreamEvent.end(12));
    VertexSnapshot decoded =
        VertexSnapshot.decode(
            7,
            snapshot(
                    List.of(
                        new VertexSnapshot.HeldTail("a", 10, events),
                        new VertexSnapshot.HeldTail("b", 3, List.of())))
                .encode());
    assertTrue(decoded.finished());
    assertEquals(2, decoded.heldOutputs().size());
    VertexSnapshot.HeldTail a = decoded.heldOutputs().get(0);
    assertEquals(10, a.firstSeq());
    assertEquals(3, a.events().size());
    for (int i = 0; i < events.size(); i++) {
      assertTrue(events.get(i).sameContent(a.events().get(i)), "event " + i);
    }
    assertArrayEquals(new byte[] {9, 8}, decoded.operatorState());
    // A restored vertex starts writing where the tails start, not at its output positions.
    assertEquals(
        List.of(new VertexSnapshot.OutputPosition("a", 10), new VertexSnapshot.OutputPosition("b", 3)),
        decoded.writesFrom());
  }

  @Test
  void withoutTailsAVertexWritesFromItsOutputPositions() throws Exception {
    VertexSnapshot decoded = VertexSnapshot.decode(7, snapshot(List.of()).encode());
    assertEquals(List.of(), decoded.heldOutputs());
    assertEquals(decoded.outputStreams(), decoded.writesFrom());
    assertEquals(42, decoded.channels().get(0).position());
  }
}
