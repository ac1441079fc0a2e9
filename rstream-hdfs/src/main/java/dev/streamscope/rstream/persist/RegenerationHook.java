package dev.streamscope.rstream.persist;

/**
 * Tier 3 of the reads: a reader waits for a seq that is not durable and not in memory while the
 * stream's writer is gone (its process died before persisting the tail). The host answers by
 * recovering the producer from its snapshot and replaying its inputs; the producer rewrites the
 * events (determinism makes them equal, uniqueness absorbs those that survived), and the writes
 * wake the reader.
 */
@FunctionalInterface
public interface RegenerationHook {
  /**
   * Asks for the events of {@code streamId} from {@code fromSeq} on. Called on the reader's
   * thread, once per loss of the writer; must only hand the work off, never block.
   */
  void regenerate(String streamId, String producer, long fromSeq);

  /** No regeneration: the reader waits until a writer comes back by itself. */
  RegenerationHook NONE = (streamId, producer, fromSeq) -> {};
}
