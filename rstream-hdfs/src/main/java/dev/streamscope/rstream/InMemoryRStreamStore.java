package dev.streamscope.rstream;

import java.util.concurrent.ConcurrentHashMap;

/** Keeps every rStream of a job in memory: the memory-only persistence strategy. */
public final class InMemoryRStreamStore implements RStreamStore {
  private final ConcurrentHashMap<String, InMemoryRStream> streams = new ConcurrentHashMap<>();
  private final boolean retainReleased;

  public InMemoryRStreamStore() {
    this(false);
  }

  /** With {@code retainReleased}, streams keep every event readable (see {@link InMemoryRStream}). */
  public InMemoryRStreamStore(boolean retainReleased) {
    this.retainReleased = retainReleased;
  }

  @Override
  public RStream open(String streamId, String producer) {
    return streams.computeIfAbsent(streamId, id -> new InMemoryRStream(id, producer, retainReleased));
  }

  @Override
  public void close() {
    streams.clear();
  }
}
