package dev.streamscope.vertex;

/**
 * Knobs of the vertex host.
 *
 * @param sourceBundleElementsMax elements a source emits per bundle; each bundle is one epoch of
 *     its output streams, so this shapes stream content (and must stay the same on replay)
 * @param turnEventsMax input events a vertex consumes per turn before it yields its thread; only
 *     a fairness knob: output content never depends on it
 * @param streamBufferBytesMax unreleased bytes on an output stream past which a source waits
 * @param idlePollMs how long an idle source waits before it polls again
 * @param idleRepollMs how long a vertex with nothing to do waits before it looks at its inputs
 *     (and its congested outputs) again without being woken: the bound on what a lost wake-up
 *     (a stream notification dropped on the way) can cost it
 */
public record VertexConfig(
    int sourceBundleElementsMax,
    int turnEventsMax,
    long streamBufferBytesMax,
    long idlePollMs,
    long idleRepollMs) {
  /** Wake-ups are rarely lost; a re-poll a few times a second costs nothing and bounds a stall. */
  public static final long IDLE_REPOLL_MS_DEFAULT = 200;

  public VertexConfig {
    if (sourceBundleElementsMax < 1) {
      throw new IllegalArgumentException(
          "sourceBundleElementsMax must be >= 1, was " + sourceBundleElementsMax);
    }
    if (turnEventsMax < 1) {
      throw new IllegalArgumentException("turnEventsMax must be >= 1, was " + turnEventsMax);
    }
    if (streamBufferBytesMax < 1) {
      throw new IllegalArgumentException(
          "streamBufferBytesMax must be >= 1, was " + streamBufferBytesMax);
    }
    if (idlePollMs < 1) {
      throw new IllegalArgumentException("idlePollMs must be >= 1, was " + idlePollMs);
    }
    if (idleRepollMs < 1) {
      throw new IllegalArgumentException("idleRepollMs must be >= 1, was " + idleRepollMs);
    }
  }

  /** With the default {@link #IDLE_REPOLL_MS_DEFAULT}. */
  public VertexConfig(
      int sourceBundleElementsMax, int turnEventsMax, long streamBufferBytesMax, long idlePollMs) {
    this(sourceBundleElementsMax, turnEventsMax, streamBufferBytesMax, idlePollMs, IDLE_REPOLL_MS_DEFAULT);
  }

  public VertexConfig withTurnEventsMax(int turnEventsMax) {
    return new VertexConfig(
        sourceBundleElementsMax, turnEventsMax, streamBufferBytesMax, idlePollMs, idleRepollMs);
  }

  public static VertexConfig defaults() {
    return new VertexConfig(1_000, 4_096, 32L << 20, 20, IDLE_REPOLL_MS_DEFAULT);
  }
}
