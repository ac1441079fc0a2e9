package dev.streamscope.rstream;

import java.util.function.Consumer;

/**
 * An append-only, sequence-numbered stream with one writer and one reader (see DESIGN.md,
 * "rStream").
 *
 * <p>Contract:
 *
 * <ul>
 *   <li><b>Uniqueness</b>: one value per seq. Writing an event whose seq already exists with the
 *       same content is a no-op; with different content it throws {@link
 *       DeterminismViolationException} — from that {@link #write}, or, where the existing value
 *       is only on disk and is read back asynchronously, from the writer's next {@link
 *       #publish} (and {@link #onDeterminismViolation} listeners). Each implementation says which
 *       rewrites it can still check (e.g. none below its garbage-collection point).
 *   <li><b>Read after write</b>: {@link #read} returns an event only after it was written and
 *       {@link #publish() published}; it never skips or invents one.
 *   <li><b>Garbage collection</b>: {@link #releaseBelow} lets the stream drop a prefix no reader
 *       needs any more; reading below it fails.
 * </ul>
 *
 * <p>Threading: the writer calls {@link #write} and {@link #publish} from one thread at a time;
 * the reader calls {@link #read} and {@link #releaseBelow} from one thread at a time; the two may
 * be different threads. Listeners run on the thread that triggered them and must only hand work
 * off (e.g. schedule a task), never block.
 */
public interface RStream {
  String id();

  /**
   * Appends {@code event} (its seq must be {@link #nextSeq()}) or checks it against the existing
   * event at that seq. Not visible to the reader until {@link #publish()}.
   */
  void write(StreamEvent event);

  /** Makes everything written so far visible and wakes the reader. */
  void publish();

  /** The seq the next new event gets. */
  long nextSeq();

  /** Number of events visible to the reader (the seq one past the last published event). */
  long publishedSeq();

  /**
   * The event at {@code seq} if published and at hand, else null. Null also while the event is
   * being loaded back from storage, or regenerated; the reader is then woken by an {@link
   * #onPublished} listener, exactly as for a new publish, and simply reads again.
   */
  StreamEvent read(long seq);

  /** Declares that the reader will never read below {@code seq} again. */
  void releaseBelow(long seq);

  /** Seq below which everything is durable (survives a crash of the writer's process). */
  long durableSeq();

  /**
   * Whether the stream outlives its writer's process ({@link #durableSeq()} grows as events are
   * persisted); false for memory-only streams, whose durable seq stays 0.
   */
  default boolean persistent() {
    return false;
  }

  /** Bytes published but not yet released by the reader; what back-pressure looks at. */
  long unreleasedBytes();

  /**
   * Bytes published but not yet durable (0 for a memory-only stream): the persistence backlog of
   * a hybrid stream.
   */
  default long persistenceBacklogBytes() {
    return 0;
  }

  /**
   * The reader tells whether it stopped reading this stream for now because its merge waits for
   * another of its inputs, whose producer may in turn be waiting for this stream's writer (a side
   * input computed from the main input's own source). Back-pressure must not make a writer wait
   * for such a reader, or each would wait for the other for ever. When it becomes true the {@link
   * #onReleased} listeners fire, so a writer waiting for a release goes on.
   */
  default void setReaderWaitsElsewhere(boolean waits) {}

  /** What the reader last said with {@link #setReaderWaitsElsewhere}. */
  default boolean readerWaitsElsewhere() {
    return false;
  }

  /**
   * True if the persistence backlog is past the stream's bound. A writer that can wait (a source)
   * should then stop producing until an {@link #onReleased} listener fires; a writer that cannot
   * (it would hold up its own inputs) goes on, and the backlog only grows in memory.
   */
  default boolean persistenceCongested() {
    return false;
  }

  /**
   * Declares that nobody — neither the reader nor a recovery from any consumer snapshot — will
   * read below {@code seq}: persisted segments entirely below it may be deleted. Reads below it
   * fail afterwards, and rewrites below it are absorbed unchecked (nothing is left to compare
   * them with). Memory-only streams free their memory at {@link #releaseBelow}, unless they retain
   * released events for restarted readers; those free it here.
   */
  default void gcBelow(long seq) {}

  /**
   * Called (once, on any thread) when a rewrite is found to differ from the stream's value only
   * after {@link #write} returned: a persisted stream checks rewrites of seqs that only its
   * segments hold asynchronously, and also throws the violation from the writer's next {@link
   * #publish}. The listener lets a host fail a writer that has already published its last event.
   * Never called by streams that check every rewrite inside {@link #write}.
   */
  default void onDeterminismViolation(Consumer<DeterminismViolationException> listener) {}

  /** Called after each {@link #publish()} that made new events visible. */
  void onPublished(Runnable listener);

  /**
   * Called when the writer may go on: after each {@link #releaseBelow} that freed bytes, and when
   * a {@link #persistenceCongested() congested} persistence backlog drained below its bound.
   */
  void onReleased(Runnable listener);
}
