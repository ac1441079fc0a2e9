package dev.streamscope.rstream;

/**
 * A second, different value was written for a seq that already has one. Replays must regenerate
 * identical events; this names what broke that rule.
 */
public final class DeterminismViolationException extends IllegalStateException {
  private final String streamId;
  private final long seq;

  public DeterminismViolationException(
      String streamId, long seq, String producer, StreamEvent existing, StreamEvent offered) {
    super(
        String.format(
            "Determinism violation on rStream %s at seq %d (producer %s): it holds %s, now %s was"
                + " written",
            streamId, seq, producer, existing, offered));
    this.streamId = streamId;
    this.seq = seq;
  }

  public String streamId() {
    return streamId;
  }

  public long seq() {
    return seq;
  }
}
