package dev.streamscope.vertex;

/**
 * Knobs of the vertex host.
 *
 * @param bundleElementsMax elements a source emits per bundle (one epoch), and events a vertex
 *     consumes per turn before it yields its thread
 * @param streamBufferBytesMax unreleased bytes on an output stream past which a source waits
 * @param idlePollMs how long an idle source waits before it polls again
 */
public record VertexConfig(int bundleElementsMax, long streamBufferBytesMax, long idlePollMs) {
  public VertexConfig {
    if (bundleElementsMax < 1) {
      throw new IllegalArgumentException("bundleElementsMax must be >= 1, was " + bundleElementsMax);
    }
    if (streamBufferBytesMax < 1) {
      throw new IllegalArgumentException(
          "streamBufferBytesMax must be >= 1, was " + streamBufferBytesMax);
    }
  }

  public static VertexConfig defaults() {
    return new VertexConfig(1_000, 32L << 20, 20);
  }
}
