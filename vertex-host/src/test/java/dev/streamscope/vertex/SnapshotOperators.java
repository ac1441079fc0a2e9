package dev.streamscope.vertex;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;

/** Test operators with snapshots: their outputs depend on their state, so a lost state shows. */
final class SnapshotOperators {
  private SnapshotOperators() {}

  /**
   * Emits {@code first, first + step, ...} below {@code end} (key hash = value, in the first 4
   * bytes of a {@code payloadBytes} payload); holds at half way while the gate is shut. Its
   * position is its state. Tests extend it for sources that differ in where they hold, what they
   * send or what they log.
   */
  static class Range implements SourceOperator {
    protected final int first;
    private final int end;
    private final int step;
    private final java.util.function.IntSupplier holdAt;
    private final int payloadBytes;
    protected int next;
    private OperatorContext context;

    Range(int first, int end, int step, AtomicBoolean gateOpen) {
      this(first, end, step, gateOpen, 4);
    }

    Range(int first, int end, int step, AtomicBoolean gateOpen, int payloadBytes) {
      this(first, end, step, gateOpen, end / 2, payloadBytes);
    }

    /** Holds (idle) from {@code holdAt} on while the gate is shut. */
    Range(int first, int end, int step, AtomicBoolean gateOpen, int holdAt, int payloadBytes) {
      this(first, end, step, () -> gateOpen.get() ? Integer.MAX_VALUE : holdAt, payloadBytes);
    }

    /** Holds (idle) from {@code holdAt}'s current answer on: a hold point a test moves forward. */
    Range(int first, int end, int step, java.util.function.IntSupplier holdAt, int payloadBytes) {
      this.first = first;
      this.next = first;
      this.end = end;
      this.step = step;
      this.holdAt = holdAt;
      this.payloadBytes = payloadBytes;
    }

    /** What the source sends for {@code value}. */
    protected byte[] payload(int value) {
      return ByteBuffer.allocate(payloadBytes).putInt(value).array();
    }

    @Override
    public void open(OperatorContext context) {
      this.context = context;
    }

    @Override
    public void startBundle() {}

    @Override
    public Status emit(int maxElements) {
      if (next >= holdAt.getAsInt()) {
        return Status.IDLE;
      }
      for (int i = 0; i < maxElements && next < end; i++, next += step) {
        context.emit(0, next, payload(next));
      }
      return next >= end ? Status.DONE : Status.MORE;
    }

    @Override
    public void finishBundle() {}

    @Override
    public long outputWatermark(int output) {
      return next >= end ? Long.MAX_VALUE : next;
    }

    @Override
    public void close() {}

    @Override
    public boolean snapshotsSupported() {
      return true;
    }

    @Override
    public void snapshotState(long snapshotVersion, DataOutputStream out) throws Exception {
      out.writeInt(next);
    }

    @Override
    public void restoreState(DataInputStream in) throws Exception {
      next = in.readInt();
    }
  }

  /** Keeps a running sum per key (value % 10) and emits {@code (key, sum)} for every element. */
  static final class RunningSum extends TestOperator.Snapshotting {
    private final TreeMap<Integer, Long> sums = new TreeMap<>();

    @Override
    public void processElement(int input, byte[] payload) {
      int value = ByteBuffer.wrap(payload).getInt();
      int key = value % 10;
      long sum = sums.merge(key, (long) value, Long::sum);
      context.emit(0, key, ByteBuffer.allocate(12).putInt(key).putLong(sum).array());
    }

    @Override
    protected void writeState(DataOutputStream out) throws Exception {
      out.writeInt(sums.size());
      for (Map.Entry<Integer, Long> entry : sums.entrySet()) {
        out.writeInt(entry.getKey());
        out.writeLong(entry.getValue());
      }
    }

    @Override
    protected void readState(DataInputStream in) throws Exception {
      for (int i = in.readInt(); i > 0; i--) {
        sums.put(in.readInt(), in.readLong());
      }
    }
  }

  /** Collects {@code key=sum} and watermarks in arrival order; what it collected is its state. */
  static final class Collector extends TestOperator.Snapshotting {
    final List<String> seen = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void processElement(int input, byte[] payload) {
      ByteBuffer buffer = ByteBuffer.wrap(payload);
      seen.add(buffer.getInt() + "=" + buffer.getLong());
    }

    @Override
    public void advanceWatermark(int input, long watermarkMillis) {
      seen.add("wm" + (watermarkMillis == Long.MAX_VALUE ? "end" : watermarkMillis));
    }

    @Override
    protected void writeState(DataOutputStream out) throws Exception {
      synchronized (seen) {
        out.writeInt(seen.size());
        for (String entry : seen) {
          out.writeUTF(entry);
        }
      }
    }

    @Override
    protected void readState(DataInputStream in) throws Exception {
      for (int i = in.readInt(); i > 0; i--) {
        seen.add(in.readUTF());
      }
    }
  }
}
