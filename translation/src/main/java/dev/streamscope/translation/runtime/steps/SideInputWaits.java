package dev.streamscope.translation.runtime.steps;

import dev.streamscope.translation.runtime.SnapshotIo;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.values.WindowedValue;

/**
 * Main-input elements of a step with side inputs, and those of them that wait because a side
 * input they need is not ready in their window. A waiting element holds the step's watermark at
 * its timestamp; it is retried whenever readiness may have changed: a side input's watermark
 * advanced, or a pane of a triggered side input arrived.
 */
final class SideInputWaits<T> {
  /** Processes one element that is in exactly one window whose side inputs are ready. */
  @FunctionalInterface
  interface Processor<T> {
    void process(WindowedValue<T> single) throws Exception;
  }

  private final SideInputStore sideInputs;
  private final Processor<T> processor;
  private List<WindowedValue<T>> waiting = new ArrayList<>();
  private long holdMillis = Long.MAX_VALUE;

  SideInputWaits(SideInputStore sideInputs, Processor<T> processor) {
    this.sideInputs = sideInputs;
    this.processor = processor;
  }

  /** A main-input element: each of its windows is processed now if ready, else waits. */
  void offer(WindowedValue<T> element) throws Exception {
    for (WindowedValue<T> single : element.explodeWindows()) {
      if (sideInputs.allReady(single.getWindows().iterator().next())) {
        processor.process(single);
      } else {
        waiting.add(single);
        holdMillis = Math.min(holdMillis, single.getTimestamp().getMillis());
      }
    }
  }

  /** An element of side input {@code view}. */
  void addSideInput(int view, WindowedValue<?> element) throws Exception {
    sideInputs.add(view, element);
    if (sideInputs.isTriggered(view)) {
      retry();
    }
  }

  /** The watermark of side input {@code view} advanced. */
  void advanceSideInputWatermark(int view, long watermarkMillis) throws Exception {
    sideInputs.advanceWatermark(view, watermarkMillis);
    retry();
  }

  private void retry() throws Exception {
    if (waiting.isEmpty()) {
      return;
    }
    List<WindowedValue<T>> retry = waiting;
    waiting = new ArrayList<>();
    holdMillis = Long.MAX_VALUE;
    for (WindowedValue<T> element : retry) {
      offer(element);
    }
  }

  /** Earliest timestamp of a waiting element, or {@code Long.MAX_VALUE}. */
  long holdMillis() {
    return holdMillis;
  }

  /** The side inputs, then the waiting elements in order (each with {@code coder}) and the hold. */
  void snapshot(DataOutputStream out, Coder<WindowedValue<T>> coder) throws IOException {
    sideInputs.snapshot(out);
    out.writeLong(holdMillis);
    out.writeInt(waiting.size());
    for (WindowedValue<T> element : waiting) {
      SnapshotIo.writeValue(out, coder, element);
    }
  }

  void restore(DataInputStream in, Coder<WindowedValue<T>> coder) throws IOException {
    sideInputs.restore(in);
    holdMillis = in.readLong();
    for (int i = in.readInt(); i > 0; i--) {
      waiting.add(SnapshotIo.readValue(in, coder));
    }
  }

  /** At the end of input nothing may still wait. */
  void checkNoneWaiting(String stepName) {
    if (!waiting.isEmpty()) {
      throw new IllegalStateException(
          stepName + ": " + waiting.size() + " elements still wait for side inputs at the end");
    }
  }
}
