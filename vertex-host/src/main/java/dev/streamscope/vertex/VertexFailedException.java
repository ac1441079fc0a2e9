package dev.streamscope.vertex;

import dev.streamscope.rstream.DeterminismViolationException;

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

  /**
   * True if {@code error} is a determinism violation, or caused by one (a violation found while
   * user code emits comes wrapped in the user code's exception).
   */
  public static boolean isDeterminismViolation(Throwable error) {
    for (Throwable cause = error; cause != null; cause = cause.getCause()) {
      if (cause instanceof DeterminismViolationException) {
        return true;
      }
      if (cause.getCause() == cause) {
        break;
      }
    }
    return false;
  }

  public String vertexId() {
    return vertexId;
  }
}
