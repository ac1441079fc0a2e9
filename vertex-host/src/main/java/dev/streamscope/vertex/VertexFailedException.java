package dev.streamscope.vertex;

/** A vertex instance failed; the cause is what its operator (or the host) threw. */
public final class VertexFailedException extends RuntimeException {
  private final String vertexId;

  public VertexFailedException(String vertexId, Throwable cause) {
    this(vertexId, cause, "");
  }

  /** With {@code advice} (what the user may do about it) after the cause, if not empty. */
  public VertexFailedException(String vertexId, Throwable cause, String advice) {
    super("Vertex " + vertexId + " failed: " + cause + (advice.isEmpty() ? "" : ". " + advice), cause);
    this.vertexId = vertexId;
  }

  public String vertexId() {
    return vertexId;
  }
}
