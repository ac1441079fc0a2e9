package dev.streamscope.translation.runtime.steps;

import dev.streamscope.translation.runtime.Step;
import org.apache.beam.sdk.values.WindowedValue;

/** Beam's Flatten (and any pass-through primitive): every port's elements go to output 0. */
public final class FlattenStep extends Step {
  public FlattenStep(String name) {
    super(name);
  }

  @Override
  protected void process(int port, WindowedValue<?> element) throws Exception {
    output(0, element);
  }
}
