package dev.streamscope.simulator;

import dev.streamscope.rstream.InMemoryRStreamStore;
import dev.streamscope.rstream.RStream;
import dev.streamscope.rstream.RStreamStore;
import java.util.Map;
import java.util.TreeMap;

/**
 * The rStreams of a simulated run: in memory, each seen through a {@link SimulatedStream} that
 * folds what it stores into a {@link StreamLog} per stream.
 */
final class RecordingStreamStore implements RStreamStore {
  /** Retaining: a restarted vertex reads its inputs again from the start (recompute). */
  private final InMemoryRStreamStore streams = new InMemoryRStreamStore(true);
  private final Map<String, StreamLog> logs = new TreeMap<>();

  @Override
  public RStream open(String streamId, String producer) {
    return new SimulatedStream(
        streams.open(streamId, producer), logs.computeIfAbsent(streamId, id -> new StreamLog()));
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
