package dev.streamscope.vertex;

/** What an {@link Operator} may use of its vertex: output, identity and time. */
public interface OperatorContext {
  /**
   * Emits an encoded element on output {@code output}. {@code keyHash} picks the partition on
   * key-partitioned edges and is ignored on others. {@code payload} must not change afterwards.
   */
  void emit(int output, int keyHash, byte[] payload);

  /** Processing time, through the clock seam. */
  long nowMillis();

  String stageId();

  int partition();

  int parallelism();
}
