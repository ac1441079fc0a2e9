package dev.streamscope.rstream;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Opens the rStreams of a job by id; opening an existing id returns the same stream. */
public interface RStreamStore extends AutoCloseable {
  RStream open(String streamId, String producer);

  /**
   * Releases the streams; a persisting store starts closing its files and returns without waiting
   * (see {@link #closeAsync()}).
   */
  @Override
  void close();

  /**
   * Persists what is still pending, closes every stream and completes when done. Call it while
   * the runtime the store's I/O runs on is still alive.
   */
  default CompletionStage<Void> closeAsync() {
    close();
    return CompletableFuture.completedFuture(null);
  }
}
