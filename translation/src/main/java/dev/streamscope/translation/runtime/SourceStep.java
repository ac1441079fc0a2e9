package dev.streamscope.translation.runtime;

import dev.streamscope.vertex.SourceOperator;
import org.apache.beam.sdk.values.WindowedValue;

/** A step that produces elements itself; it is always the first step of its stage. */
public abstract class SourceStep extends Step {
  protected SourceStep(String name) {
    super(name);
  }

  /** Emits at most {@code maxElements} elements to output 0. */
  protected abstract SourceOperator.Status emit(int maxElements) throws Exception;

  /** The watermark of what this source emitted so far; {@code Long.MAX_VALUE} once done. */
  protected abstract long sourceWatermarkMillis();

  @Override
  protected final void process(int port, WindowedValue<?> element) {
    throw new UnsupportedOperationException(name() + " is a source and has no inputs");
  }
}
