package dev.streamscope.rstream;

import java.util.function.Consumer;

/**
 * An rStream that forwards every call to another: wrappers (a vertex's held outputs, a failure
 * injector's kill points) extend it and override only what they change, so a method added to
 * {@link RStream} is forwarded everywhere at once instead of silently left to its default.
 */
public abstract class ForwardingRStream implements RStream {
  protected final RStream stream;

  protected ForwardingRStream(RStream stream) {
    this.stream = stream;
  }

  @Override
  public String id() {
    return stream.id();
  }

  @Override
  public void write(StreamEvent event) {
    stream.write(event);
  }

  @Override
  public void publish() {
    stream.publish();
  }

  @Override
  public long nextSeq() {
    return stream.nextSeq();
  }

  @Override
  public long publishedSeq() {
    return stream.publishedSeq();
  }

  @Override
  public StreamEvent read(long seq) {
    return stream.read(seq);
  }

  @Override
  public void releaseBelow(long seq) {
    stream.releaseBelow(seq);
  }

  @Override
  public long durableSeq() {
    return stream.durableSeq();
  }

  @Override
  public boolean persistent() {
    return stream.persistent();
  }

  @Override
  public long unreleasedBytes() {
    return stream.unreleasedBytes();
  }

  @Override
  public long persistenceBacklogBytes() {
    return stream.persistenceBacklogBytes();
  }

  @Override
  public boolean persistenceCongested() {
    return stream.persistenceCongested();
  }

  @Override
  public void setReaderWaitsElsewhere(boolean waits) {
    stream.setReaderWaitsElsewhere(waits);
  }

  @Override
  public boolean readerWaitsElsewhere() {
    return stream.readerWaitsElsewhere();
  }

  @Override
  public void gcBelow(long seq) {
    stream.gcBelow(seq);
  }

  @Override
  public void onDeterminismViolation(Consumer<DeterminismViolationException> listener) {
    stream.onDeterminismViolation(listener);
  }

  @Override
  public void onPublished(Runnable listener) {
    stream.onPublished(listener);
  }

  @Override
  public void onReleased(Runnable listener) {
    stream.onReleased(listener);
  }
}
