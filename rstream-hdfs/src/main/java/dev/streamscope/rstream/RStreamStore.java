package dev.streamscope.rstream;

/** Opens the rStreams of a job by id; opening an existing id returns the same stream. */
public interface RStreamStore extends AutoCloseable {
  RStream open(String streamId, String producer);

  @Override
  void close();
}
