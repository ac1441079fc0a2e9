package dev.streamscope.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamscope.rstream.InMemoryRStream;
import dev.streamscope.rstream.RStream;
import dev.streamscope.rstream.StreamEvent;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SimulatedStreamTest {
  @Test
  void everyMethodOfRStreamIsForwardedNotLeftToADefault() throws Exception {
    List<String> missing = new ArrayList<>();
    for (Method method : RStream.class.getMethods()) {
      Method own = SimulatedStream.class.getMethod(method.getName(), method.getParameterTypes());
      if (own.getDeclaringClass() != SimulatedStream.class) {
        missing.add(method.getName());
      }
    }
    assertTrue(missing.isEmpty(), "not forwarded: " + missing);
  }

  @Test
  void theLogSeesWhereTheStreamStoredEachEvent() {
    StreamLog log = new StreamLog();
    SimulatedNetwork network =
        new SimulatedNetwork(new SimulationLoop(1), new Probes(), SimulatedNetwork.Knobs.defaults(java.util.Set.of()));
    SimulatedStream stream = new SimulatedStream("a/out0/p0->b/in0/p0", 0, 0, network, log);
    stream.bind(new InMemoryRStream("s", "p#0"));
    stream.write(StreamEvent.data(0, new byte[] {1}));
    stream.write(StreamEvent.data(1, new byte[] {2}));
    stream.write(StreamEvent.data(0, new byte[] {1})); // A rewrite: absorbed.
    assertEquals(2, log.dataEvents());
    assertEquals(1, log.rewrites());
    assertEquals(-1, log.changedAtSeq());
  }

  @Test
  void aRewriteWithAnotherValueIsNoticedEvenWhenTheStreamCannotCheckIt() {
    StreamLog log = new StreamLog();
    log.onStored(0, StreamEvent.data(0, new byte[] {1}));
    log.onStored(1, StreamEvent.data(1, new byte[] {2}));
    log.onStored(1, StreamEvent.data(1, new byte[] {3}));
    assertEquals(1, log.changedAtSeq());
  }
}
