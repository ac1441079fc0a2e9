package dev.streamscope.simulator;

import dev.streamscope.rstream.RStream;
import dev.streamscope.rstream.StreamEvent;

/**
 * An rStream as the vertices of a simulated job see it: the real stream, with every event the
 * stream stores folded into the run's {@link StreamLog}. It forwards every method of {@link
 * RStream} (a test checks that none is left to a default), so it never hides a product behaviour.
 */
final class SimulatedStream implements RStream {
  private final RStream stream;
  private final StreamLog log;

  SimulatedStream(RStream stream, StreamLog log) {
    this.stream = stream;
    this.log = log;
  }

  @Override
  public String id() {
    return stream.id();
  }

  /** Records where the stream put the event: appended at its next seq, or absorbed as a rewrite. */
  @Override
  public void write(StreamEvent event) {
    long nextSeq = stream.nextSeq();
    stream.write(event);
    log.onStored(stream.nextSeq() > nextSeq ? nextSeq : event.seq(), event);
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
  public void gcBelow(long seq) {
    stream.gcBelow(seq);
  }

  @Override
  public void onPublished(Runnable listener) {
    stream.onPublished(listener);
  }

  @Override
  public void onReleased(Runnable listener) {
    stream.onReleased(listener);
  }

  @Override
  public boolean persistent() {
    return stream.persistent();
  }

  @Override
  public void onDeterminismViolation(
      java.util.function.Consumer<dev.streamscope.rstream.DeterminismViolationException> listener) {
    stream.onDeterminismViolation(listener);
  }
}
