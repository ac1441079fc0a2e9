package dev.streamscope.translation.runtime.steps;

import dev.streamscope.translation.runtime.SourceStep;
import dev.streamscope.vertex.SourceOperator.Status;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/** A source of nothing (the Flatten of no inputs): done at once. */
public final class EmptySourceStep extends SourceStep {
  private boolean done;

  public EmptySourceStep(String name) {
    super(name);
  }

  @Override
  protected Status emit(int maxElements) {
    done = true;
    return Status.DONE;
  }

  @Override
  protected long sourceWatermarkMillis() {
    return done ? Long.MAX_VALUE : Long.MIN_VALUE;
  }

  @Override
  protected void snapshot(DataOutputStream out) throws IOException {
    out.writeBoolean(done);
  }

  @Override
  protected void restore(DataInputStream in) throws IOException {
    done = in.readBoolean();
  }
}
