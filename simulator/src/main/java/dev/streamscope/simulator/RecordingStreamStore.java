package dev.streamscope.simulator;

import dev.streamscope.rstream.InMemoryRStreamStore;
import dev.streamscope.rstream.RStream;
import dev.streamscope.rstream.RStreamStore;
import dev.streamscope.rstream.StreamEvent;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.TreeMap;

/**
 * The rStreams of a simulated run: in memory, with every write also folded into a {@link
 * StreamLog} per stream. A dynamic proxy forwards the whole {@link RStream} interface, so the
 * recording never falls behind it.
 */
final class RecordingStreamStore implements RStreamStore {
  /** Retaining: a restarted vertex reads its inputs again from the start (recompute). */
  private final InMemoryRStreamStore streams = new InMemoryRStreamStore(true);
  private final Map<String, StreamLog> logs = new TreeMap<>();

  @Override
  public RStream open(String streamId, String producer) {
    RStream stream = streams.open(streamId, producer);
    StreamLog log = logs.computeIfAbsent(streamId, id -> new StreamLog());
    return (RStream)
        Proxy.newProxyInstance(
            RStream.class.getClassLoader(),
            new Class<?>[] {RStream.class},
            (proxy, method, args) -> {
              if (method.getName().equals("write")) {
                log.onWrite((StreamEvent) args[0]);
              }
              try {
                return method.invoke(stream, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
  }

  /** Logs by stream id, sorted. */
  Map<String, StreamLog> logs() {
    return logs;
  }

  @Override
  public void close() {
    streams.close();
  }
}
