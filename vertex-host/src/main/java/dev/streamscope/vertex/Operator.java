package dev.streamscope.vertex;

/**
 * The logic of one partition of a stage, as the vertex host drives it. Elements arrive as encoded
 * bytes, one logical input at a time, in an order that depends only on the input streams' content
 * (see {@link InputMerger}); the operator emits encoded elements through {@link
 * OperatorContext#emit}. All calls come from the vertex's one thread.
 */
public interface Operator {
  /** Called once, before anything else. */
  void open(OperatorContext context) throws Exception;

  /**
   * The vertex's thread starts a turn: every other call below happens between this and {@link
   * #endTurn()}, on the same thread. A bundle may span several turns (and threads), so
   * thread-bound context belongs here, not in {@link #startBundle()}.
   */
  default void beginTurn() {}

  default void endTurn() {}

  /**
   * Starts a bundle: the elements and watermarks until {@link #finishBundle()}. A bundle is one
   * input epoch (events up to and including a punctuation), so bundle boundaries, and what a
   * DoFn emits at them, depend on stream content only.
   */
  void startBundle() throws Exception;

  /** One data element of logical input {@code input}. */
  void processElement(int input, byte[] payload) throws Exception;

  /**
   * The watermark of logical input {@code input} (the minimum over its channels) advanced to
   * {@code watermarkMillis}; {@code Long.MAX_VALUE} means the input ended.
   */
  void advanceWatermark(int input, long watermarkMillis) throws Exception;

  /** Processing time reached {@code nowMillis}: fire due processing-time timers. */
  default void advanceProcessingTime(long nowMillis) throws Exception {}

  /** When the operator next needs {@link #advanceProcessingTime}, or {@code Long.MAX_VALUE}. */
  default long nextProcessingTimeMillis() {
    return Long.MAX_VALUE;
  }

  void finishBundle() throws Exception;

  /** No element on {@code output} will be earlier than this from now on. */
  long outputWatermark(int output);

  /** Every input ended and the last bundle finished: release resources. */
  void close() throws Exception;

  /**
   * Whether {@link #snapshotState} and {@link #restoreState} are implemented. A vertex whose
   * operator has no snapshots recovers by recompute (from the start of its inputs) whatever its
   * strategy.
   */
  default boolean snapshotsSupported() {
    return false;
  }

  /**
   * Writes everything the operator holds between bundles (user and system state, timers, side
   * inputs, buffered elements, source positions, committed metrics), so that a fresh instance of
   * the same partition given these bytes by {@link #restoreState} continues exactly as this one
   * would have. Called on the vertex's thread, inside a turn, never inside a bundle, with the
   * version of the snapshot the bytes go into (versions grow). Must not change the operator's
   * behaviour (a snapshot is invisible to the output).
   */
  default void snapshotState(long snapshotVersion, java.io.DataOutputStream out) throws Exception {
    throw new UnsupportedOperationException(getClass().getName() + " has no snapshots");
  }

  /**
   * What the state written for every snapshot up to {@code snapshotVersion} covers is stable: a
   * snapshot that new is written and every output it covers is durable (or held in it), so no
   * restore of this partition goes back before it. The operator may now commit that to the
   * outside world (Beam: finalize the source checkpoint marks those snapshots hold), once.
   *
   * <p>Called on the vertex's thread inside a turn, with growing versions, only for snapshots
   * this instance took (a restored snapshot was stable for the instance that took it); a snapshot
   * whose write failed is covered by the next stable one. After {@link #close} of an operator that
   * finished, once everything it emitted is durable, it is called with {@link #EVERYTHING}: what
   * close left (a source's last position) is stable too. A vertex without snapshots calls it with
   * {@link #EVERYTHING} only: until then it recovers by reading its inputs again from the start.
   */
  default void stableUpTo(long snapshotVersion) throws Exception {}

  /**
   * Whether something the operator did waits for a snapshot not taken yet before it may act on it
   * (Beam: bundle finalization callbacks registered since the last snapshot). A vertex holding its
   * outputs for a commit then ends its bundle early, between two elements, and commits, rather
   * than at the input epoch's end, at most once per checkpoint interval. Asked between elements:
   * must be cheap (no allocation).
   */
  default boolean finalizationPending() {
    return false;
  }

  /**
   * Whether the operator stopped a call early, with work ready to go on with (elements released
   * together, each of which may take long), so that a vertex may commit for a {@link
   * #finalizationPending} in between: it stops so only while that is true. The vertex calls
   * {@link #continueWork} until this is false, before anything else, inside a bundle. Only
   * vertices holding their outputs ask: the translation gives such steps only to those.
   */
  default boolean workLeft() {
    return false;
  }

  /** Goes on with the work left (see {@link #workLeft}); does some of it at least. */
  default void continueWork() throws Exception {}

  /** {@link #stableUpTo} this: everything the operator did, up to its close, is stable. */
  long EVERYTHING = Long.MAX_VALUE;

  /**
   * Loads state written by {@link #snapshotState} of an earlier instance of the same partition.
   * Called once, after {@link #open} and before the first bundle, inside a turn.
   */
  default void restoreState(java.io.DataInputStream in) throws Exception {
    throw new UnsupportedOperationException(getClass().getName() + " has no snapshots");
  }
}
