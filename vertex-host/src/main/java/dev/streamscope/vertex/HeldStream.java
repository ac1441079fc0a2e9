package dev.streamscope.vertex;

import dev.streamscope.rstream.ForwardingRStream;
import dev.streamscope.rstream.RStream;
import dev.streamscope.rstream.StreamEvent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * An output rStream of a vertex with strong productions (a nondeterministic stage, MillWheel's
 * term): what the vertex writes is held here, unseen by the stream, until a snapshot of the vertex
 * holds it too; {@link #release} then writes and publishes it. Released events stay in the {@link
 * #tail} until the stream has made them durable, so every snapshot holds each event its stream
 * could still lose in a crash: a restored vertex rewrites its tail (the stream absorbs what it
 * still has) and never has to regenerate an event that a reader may have seen.
 *
 * <p>Only the writer's side is held: {@link #publish} does nothing (release publishes), and every
 * other method is the stream's own.
 */
final class HeldStream extends ForwardingRStream {
  /** Written to the stream, maybe not durable yet; oldest first. */
  private final ArrayDeque<StreamEvent> released = new ArrayDeque<>();
  /** Written by the vertex, not released yet. */
  private final List<StreamEvent> held = new ArrayList<>();
  /** The seq the vertex writes next. */
  private long nextSeq;

  HeldStream(RStream stream) {
    super(stream);
  }

  /** Holds {@code event}: the stream sees it at {@link #release}. */
  @Override
  public void write(StreamEvent event) {
    if (event.seq() != nextSeq) {
      throw new IllegalStateException(
          "rStream " + stream.id() + ": held write of seq " + event.seq() + ", expected " + nextSeq);
    }
    held.add(event);
    nextSeq++;
  }

  boolean holdsAny() {
    return !held.isEmpty();
  }

  /** Writes the held events to the stream and publishes them. */
  void release() {
    for (StreamEvent event : held) {
      stream.write(event);
      released.add(event);
    }
    held.clear();
    stream.publish();
    dropDurable();
  }

  /** What a snapshot must hold of this stream: the released events not yet durable, then the held. */
  VertexSnapshot.HeldTail tail() {
    dropDurable();
    List<StreamEvent> events = new ArrayList<>(released.size() + held.size());
    events.addAll(released);
    events.addAll(held);
    long firstSeq = events.isEmpty() ? nextSeq : events.get(0).seq();
    return new VertexSnapshot.HeldTail(stream.id(), firstSeq, events);
  }

  /**
   * Continues from a snapshot's tail: writes its events again (the stream absorbs those it still
   * has, appends those it lost) and publishes them; the vertex writes on after them.
   */
  void rewrite(VertexSnapshot.HeldTail tail) {
    if (!tail.streamId().equals(stream.id())) {
      throw new IllegalStateException(
          "Snapshot tail of stream " + tail.streamId() + " given to " + stream.id());
    }
    released.clear();
    held.clear();
    for (StreamEvent event : tail.events()) {
      stream.write(event);
      released.add(event);
    }
    stream.publish();
    nextSeq = tail.firstSeq() + tail.events().size();
  }

  /** Forgets released events the stream will keep across a crash (all, if it is memory-only). */
  private void dropDurable() {
    long durable = stream.persistent() ? stream.durableSeq() : Long.MAX_VALUE;
    while (!released.isEmpty() && released.peekFirst().seq() < durable) {
      released.pollFirst();
    }
  }

  @Override
  public void publish() {
    // Held events become visible at release, once a snapshot holds them.
  }
}
