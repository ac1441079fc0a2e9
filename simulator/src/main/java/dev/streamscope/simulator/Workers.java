package dev.streamscope.simulator;

/**
 * Where vertices run in a simulation: worker {@code i} hosts partition {@code i} of every stage,
 * so vertex {@code stage#i} runs on worker {@code i}.
 */
final class Workers {
  private Workers() {}

  /** The worker of vertex {@code vertexId} ({@code stage#partition}). */
  static int of(String vertexId) {
    int hash = vertexId.lastIndexOf('#');
    if (hash < 0) {
      throw new IllegalArgumentException("not a vertex id (stage#partition): " + vertexId);
    }
    return Integer.parseInt(vertexId.substring(hash + 1));
  }

  /** The worker of the reader of rStream {@code streamId} (see {@code JobGraph.streamId}). */
  static int readerOf(String streamId) {
    int at = streamId.lastIndexOf("/p");
    if (at < 0 || streamId.indexOf("->") < 0 || at < streamId.indexOf("->")) {
      throw new IllegalArgumentException("not an rStream id (producer/outN/pI->consumer/inM/pJ): " + streamId);
    }
    return Integer.parseInt(streamId.substring(at + 2));
  }
}
