package dev.streamscope.translation.runtime.steps;

import dev.streamscope.translation.runtime.SourceStep;
import dev.streamscope.vertex.SourceOperator.Status;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import org.apache.beam.sdk.values.WindowedValues;

/** Beam's Impulse: one empty byte array in the global window, then the end of time. */
public final class ImpulseStep extends SourceStep {
  private boolean emitted;
  private boolean done;

  public ImpulseStep(String name) {
    super(name);
  }

  @Override
  protected Status emit(int maxElements) throws Exception {
    if (!emitted) {
      // The element gets a bundle of its own, before the end of input (as in BoundedReadStep).
      emitted = true;
      output(0, WindowedValues.valueInGlobalWindow(new byte[0]));
      return Status.MORE;
    }
    done = true;
    return Status.DONE;
  }

  @Override
  protected long sourceWatermarkMillis() {
    return done ? Long.MAX_VALUE : Long.MIN_VALUE;
  }

  @Override
  protected void snapshot(DataOutputStream out) throws IOException {
    out.writeBoolean(emitted);
    out.writeBoolean(done);
  }

  @Override
  protected void restore(DataInputStream in) throws IOException {
    emitted = in.readBoolean();
    done = in.readBoolean();
  }
}
