package dev.streamscope.translation.runtime.steps;

import dev.streamscope.translation.runtime.Step;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.WindowedValue;

/**
 * Gives every element a key of its own: this partition's index and a count of the elements it
 * keyed so far. Replaces the random keys Beam's splittable DoFn expansion draws ("Assign unique
 * key"), so the same input gets the same keys, and lands on the same partitions, on every run and
 * every replay.
 */
public final class UniqueKeyStep extends Step {
  private long next;

  public UniqueKeyStep(String name) {
    super(name);
  }

  @Override
  protected void process(int port, WindowedValue<?> element) throws Exception {
    byte[] key = ByteBuffer.allocate(12).putInt(runtime().partition()).putLong(next++).array();
    output(0, element.withValue(KV.of(key, element.getValue())));
  }

  @Override
  protected void snapshot(DataOutputStream out) throws IOException {
    out.writeLong(next);
  }

  @Override
  protected void restore(DataInputStream in) throws IOException {
    next = in.readLong();
  }
}
