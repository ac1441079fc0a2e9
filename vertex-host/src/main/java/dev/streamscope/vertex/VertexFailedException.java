package dev.streamscope.vertex;

/** A vertex instance failed; the cause is what its operator (or the host) threw. */
public final class VertexFailedException extends RuntimeException {
  private final String vertexId;

  public VertexFailedException(String vertexId, Throwable cause) {
    super("Vertex " + vertexId + " failed: " + cause, cause);
    this.vertexId = vertexId;
  }

  public String vertexId() {
    return vertexId;
  }
}
