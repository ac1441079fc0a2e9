package dev.streamscope.translation.runtime;

import dev.streamscope.vertex.OperatorContext;
import dev.streamscope.vertex.SourceOperator;

/**
 * What a test gives the one operator it drives by hand: partition 0 of 1, a clock that does not
 * move, and its output handed to {@code emitter}; and the turns it drives it through.
 */
record FixedContext(String stageId, long nowMillis, Emitter emitter) implements OperatorContext {
  /** Where the operator's encoded output goes. */
  @FunctionalInterface
  interface Emitter {
    void emit(int output, int keyHash, byte[] payload);
  }

  /** A context whose output is dropped. */
  static FixedContext discarding(String stageId, long nowMillis) {
    return new FixedContext(stageId, nowMillis, (output, keyHash, payload) -> {});
  }

  @Override
  public void emit(int output, int keyHash, byte[] payload) {
    emitter.emit(output, keyHash, payload);
  }

  @Override
  public int partition() {
    return 0;
  }

  @Override
  public int parallelism() {
    return 1;
  }

  /** A turn of {@code operator} that takes snapshot {@code version}; its bytes. */
  static byte[] snapshot(SourceOperator operator, long version) throws Exception {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    operator.beginTurn();
    try {
      operator.snapshotState(version, new java.io.DataOutputStream(bytes));
    } finally {
      operator.endTurn();
    }
    return bytes.toByteArray();
  }

  /** A turn of {@code operator} in which snapshot {@code version} became stable. */
  static void stableUpTo(SourceOperator operator, long version) throws Exception {
    operator.beginTurn();
    try {
      operator.stableUpTo(version);
    } finally {
      operator.endTurn();
    }
  }

  /** One turn of {@code source} that emits one bundle of at most {@code records}. */
  static SourceOperator.Status oneBundle(SourceOperator source, int records) throws Exception {
    source.beginTurn();
    try {
      source.startBundle();
      SourceOperator.Status status = source.emit(records);
      source.finishBundle();
      return status;
    } finally {
      source.endTurn();
    }
  }
}
