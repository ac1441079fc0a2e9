package dev.streamscope.vertex;

/** A vertex instance was killed from outside (a test, an operator, the simulator's crash fault). */
public final class VertexKilledException extends RuntimeException {
  public VertexKilledException(String vertexId) {
    super("Vertex " + vertexId + " was killed");
  }
}
