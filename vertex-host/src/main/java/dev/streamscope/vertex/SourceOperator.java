package dev.streamscope.vertex;

/** An operator with no inputs that produces elements itself (Impulse, Read, TestStream). */
public interface SourceOperator extends Operator {
  /** What a call to {@link #emit} left behind. */
  enum Status {
    /** More is ready now; call again. */
    MORE,
    /** Nothing ready now; call again after a pause. */
    IDLE,
    /** Exhausted; its outputs' watermarks are at the end of time. */
    DONE
  }

  /** Emits at most {@code maxElements} elements, inside a bundle. */
  Status emit(int maxElements) throws Exception;

  @Override
  default void processElement(int input, byte[] payload) throws Exception {
    throw new UnsupportedOperationException("A source has no inputs");
  }

  @Override
  default void advanceWatermark(int input, long watermarkMillis) throws Exception {
    throw new UnsupportedOperationException("A source has no inputs");
  }
}
