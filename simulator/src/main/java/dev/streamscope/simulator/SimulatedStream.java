package dev.streamscope.simulator;

import dev.streamscope.rstream.DeterminismViolationException;
import dev.streamscope.rstream.RStream;
import dev.streamscope.rstream.StreamEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * An rStream as the vertices of a simulated job reach it: the real stream, which lives in its
 * writer's worker process, behind a link that records every event the stream stores into the
 * run's {@link StreamLog}. Its notifications to the reader (published) and the writer (released)
 * travel through the {@link SimulatedNetwork}, and a read across a network partition finds
 * nothing until the partition heals. When the writer's process dies the link is down ({@link
 * #unbind()}): reads find nothing, until the stream recovered from storage is bound to it
 * ({@link #bind}), which wakes the readers as a reconnect would.
 *
 * <p>It forwards every method of {@link RStream} (a test checks that none is left to a default),
 * so it never hides a product behaviour.
 */
final class SimulatedStream implements RStream {
  private final String id;
  private final int writerWorker;
  private final int readerWorker;
  private final SimulatedNetwork network;
  private final StreamLog log;
  // Task labels of its notifications, built once: the loop hashes every label into the trace hash.
  private final String publishedLabel;
  private final String releasedLabel;
  private final List<Runnable> publishListeners = new ArrayList<>();
  private final List<Runnable> releaseListeners = new ArrayList<>();
  private final List<Consumer<DeterminismViolationException>> violationListeners = new ArrayList<>();
  private RStream stream;
  private boolean persistent;
  private int binding;
  private long releaseBelowWhileDown;
  private boolean wakeOwed;
  private boolean readerWaitsElsewhere;

  SimulatedStream(String id, int writerWorker, int readerWorker, SimulatedNetwork network, StreamLog log) {
    this.id = id;
    this.writerWorker = writerWorker;
    this.readerWorker = readerWorker;
    this.network = network;
    this.log = log;
    this.publishedLabel = "published " + id;
    this.releasedLabel = "released " + id;
  }

  /** Connects the link to {@code live} (a new stream, or one recovered after a crash). */
  void bind(RStream live) {
    stream = live;
    persistent = live.persistent();
    int current = ++binding;
    violationListeners.forEach(live::onDeterminismViolation);
    live.onPublished(() -> {
      if (binding == current) {
        network.deliver(writerWorker, readerWorker, publishedLabel, () -> fire(publishListeners));
      }
    });
    live.onReleased(() -> {
      if (binding == current) {
        network.deliver(readerWorker, writerWorker, releasedLabel, () -> fire(releaseListeners));
      }
    });
    if (releaseBelowWhileDown > 0) {
      live.releaseBelow(releaseBelowWhileDown);
    }
    live.setReaderWaitsElsewhere(readerWaitsElsewhere);
    fire(publishListeners);
  }

  /** The writer's process died: the stream is gone until a recovered one is bound. */
  void unbind() {
    stream = null;
    binding++;
  }

  /** The stream behind the link, or null while it is down. */
  RStream live() {
    return stream;
  }

  int writerWorker() {
    return writerWorker;
  }

  private static void fire(List<Runnable> listeners) {
    for (int i = 0; i < listeners.size(); i++) {
      listeners.get(i).run();
    }
  }

  private RStream writable() {
    if (stream == null) {
      throw new IllegalStateException(
          "rStream " + id + " written while its writer's process (worker #" + writerWorker + ") is down");
    }
    return stream;
  }

  @Override
  public String id() {
    return id;
  }

  /** Records where the stream put the event: appended at its next seq, or absorbed as a rewrite. */
  @Override
  public void write(StreamEvent event) {
    RStream live = writable();
    long nextSeq = live.nextSeq();
    live.write(event);
    log.onStored(live.nextSeq() > nextSeq ? nextSeq : event.seq(), event);
  }

  @Override
  public void publish() {
    writable().publish();
  }

  @Override
  public long nextSeq() {
    return writable().nextSeq();
  }

  @Override
  public long publishedSeq() {
    return stream == null ? 0 : stream.publishedSeq();
  }

  /** Nothing while the stream is down or out of the reader's reach; the reader is woken later. */
  @Override
  public StreamEvent read(long seq) {
    if (stream == null) {
      return null;
    }
    if (network.cut(writerWorker, readerWorker)) {
      if (!wakeOwed) {
        wakeOwed = true;
        network.readStalled(() -> {
          wakeOwed = false;
          fire(publishListeners);
        });
      }
      return null;
    }
    return stream.read(seq);
  }

  @Override
  public void releaseBelow(long seq) {
    if (stream == null) {
      releaseBelowWhileDown = Math.max(releaseBelowWhileDown, seq);
    } else {
      stream.releaseBelow(seq);
    }
  }

  @Override
  public long durableSeq() {
    return stream == null ? 0 : stream.durableSeq();
  }

  @Override
  public long unreleasedBytes() {
    return writable().unreleasedBytes();
  }

  @Override
  public long persistenceBacklogBytes() {
    return writable().persistenceBacklogBytes();
  }

  @Override
  public boolean persistenceCongested() {
    return writable().persistenceCongested();
  }

  /** The reader's word holds across the writer's crashes: it is passed on to each new stream. */
  @Override
  public void setReaderWaitsElsewhere(boolean waits) {
    readerWaitsElsewhere = waits;
    if (stream != null) {
      stream.setReaderWaitsElsewhere(waits);
    }
  }

  @Override
  public boolean readerWaitsElsewhere() {
    return readerWaitsElsewhere;
  }

  @Override
  public void gcBelow(long seq) {
    if (stream != null) {
      stream.gcBelow(seq);
    }
  }

  @Override
  public void onPublished(Runnable listener) {
    publishListeners.add(listener);
  }

  @Override
  public void onReleased(Runnable listener) {
    releaseListeners.add(listener);
  }

  /** The strategy's answer, the same for every stream bound to this link (also while down). */
  @Override
  public boolean persistent() {
    return persistent;
  }

  /** Registered on the stream bound now and on every one bound after a crash. */
  @Override
  public void onDeterminismViolation(Consumer<DeterminismViolationException> listener) {
    violationListeners.add(listener);
    if (stream != null) {
      stream.onDeterminismViolation(listener);
    }
  }
}
