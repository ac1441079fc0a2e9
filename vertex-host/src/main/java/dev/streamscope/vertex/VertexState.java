package dev.streamscope.vertex;

/** Lifecycle of a vertex instance; {@link #canMoveTo} lists the legal transitions. */
public enum VertexState {
  CREATED,
  RUNNING,
  FINISHED,
  FAILED,
  CANCELLED;

  boolean canMoveTo(VertexState next) {
    switch (this) {
      case CREATED:
        return next == RUNNING || next == FAILED || next == CANCELLED;
      case RUNNING:
        return next == FINISHED || next == FAILED || next == CANCELLED;
      default:
        return false;
    }
  }

  boolean isTerminal() {
    return this == FINISHED || this == FAILED || this == CANCELLED;
  }
}
