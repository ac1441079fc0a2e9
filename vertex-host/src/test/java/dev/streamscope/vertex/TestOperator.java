package dev.streamscope.vertex;

import java.io.DataInputStream;
import java.io.DataOutputStream;

/**
 * An {@link Operator} for tests with the plain defaults, so a test operator shows only what is
 * particular to it (usually {@link #processElement}).
 *
 * <ul>
 *   <li>{@link #open} keeps the context in {@link #context}: most test operators emit.
 *   <li>Bundles and {@link #close} do nothing: test operators hold no per-bundle work or resources.
 *   <li>{@link #advanceWatermark} keeps the input's watermark and {@link #outputWatermark} passes
 *       it on, as an operator without timers or buffering does (a sink, which has no outputs, is
 *       never asked). An operator that holds its output back overrides these.
 *   <li>No snapshots (the {@link Operator} default): such an operator recovers by recompute. Extend
 *       {@link Snapshotting} for one whose state must survive a restart.
 * </ul>
 */
abstract class TestOperator implements Operator {
  protected OperatorContext context;
  /** The input watermark that advanced last; at first, the start of time. */
  protected long watermarkMillis = Long.MIN_VALUE;

  @Override
  public void open(OperatorContext context) {
    this.context = context;
  }

  @Override
  public void startBundle() {}

  @Override
  public void advanceWatermark(int input, long watermarkMillis) throws Exception {
    this.watermarkMillis = watermarkMillis;
  }

  @Override
  public void finishBundle() {}

  @Override
  public long outputWatermark(int output) {
    return watermarkMillis;
  }

  @Override
  public void close() {}

  /**
   * A {@link TestOperator} with snapshots: its snapshot holds the watermark it passes on (a
   * restored instance must not send an earlier one) and then what {@link #writeState} writes.
   */
  abstract static class Snapshotting extends TestOperator {
    /** Writes the operator's own state; {@link #readState} reads it back in the same order. */
    protected abstract void writeState(DataOutputStream out) throws Exception;

    protected abstract void readState(DataInputStream in) throws Exception;

    @Override
    public final boolean snapshotsSupported() {
      return true;
    }

    @Override
    public final void snapshotState(long snapshotVersion, DataOutputStream out) throws Exception {
      out.writeLong(watermarkMillis);
      writeState(out);
    }

    @Override
    public final void restoreState(DataInputStream in) throws Exception {
      watermarkMillis = in.readLong();
      readState(in);
    }
  }
}
