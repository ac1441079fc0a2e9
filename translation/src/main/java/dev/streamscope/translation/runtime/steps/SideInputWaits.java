package dev.streamscope.translation.runtime.steps;

import dev.streamscope.translation.runtime.SnapshotIo;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.values.WindowedValue;

/**
 * Main-input elements of a step with side inputs, and those of them that wait because a side
 * input they need is not ready in their window. A waiting element holds the step's watermark at
 * its timestamp; it is retried whenever readiness may have changed: a side input's watermark
 * advanced, or a pane of a triggered side input arrived.
 *
 * <p>Elements released together (all those held until a side input arrived) are offered one by
 * one, and the release stops early, leaving the rest {@link #released()}, once {@code yieldWhen}
 * says so (a bundle finalization callback waits for a commit, which only comes between two calls
 * of the vertex host); {@link #continueRelease} goes on. What is released but not offered yet is
 * saved as waiting and holds the watermark as it did.
 */
final class SideInputWaits<T> {
  /** Processes one element that is in exactly one window whose side inputs are ready. */
  @FunctionalInterface
  interface Processor<T> {
    void process(WindowedValue<T> single) throws Exception;
  }

  private final SideInputStore sideInputs;
  private final Processor<T> processor;
  private final BooleanSupplier yieldWhen;
  private List<WindowedValue<T>> waiting = new ArrayList<>();
  private long holdMillis = Long.MAX_VALUE;
  /** Released for a retry, not offered yet, in order. */
  private final ArrayDeque<WindowedValue<T>> released = new ArrayDeque<>();
  /** Earliest timestamp of the elements released: held until all of them were offered. */
  private long releasedHoldMillis = Long.MAX_VALUE;

  /**
   * Releases whatever became ready in one go: for steps that fire timers once the release is done
   * (a stateful DoFn's, at the side input's watermark), which must see the released elements
   * first.
   */
  SideInputWaits(SideInputStore sideInputs, Processor<T> processor) {
    this(sideInputs, processor, () -> false);
  }

  SideInputWaits(SideInputStore sideInputs, Processor<T> processor, BooleanSupplier yieldWhen) {
    this.sideInputs = sideInputs;
    this.processor = processor;
    this.yieldWhen = yieldWhen;
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
    if (!waiting.isEmpty()) {
      released.addAll(waiting);
      releasedHoldMillis = Math.min(releasedHoldMillis, holdMillis);
      waiting = new ArrayList<>();
      holdMillis = Long.MAX_VALUE;
    }
    continueRelease();
  }

  /** Whether released elements are left to offer (the release yielded). */
  boolean released() {
    return !released.isEmpty();
  }

  /**
   * Offers the released elements, at least one, until none is left or {@code yieldWhen} says
   * stop.
   */
  void continueRelease() throws Exception {
    while (!released.isEmpty()) {
      offer(released.poll());
      if (!released.isEmpty() && yieldWhen.getAsBoolean()) {
        return;
      }
    }
    releasedHoldMillis = Long.MAX_VALUE;
  }

  /** Earliest timestamp of a waiting or released element, or {@code Long.MAX_VALUE}. */
  long holdMillis() {
    return Math.min(holdMillis, releasedHoldMillis);
  }

  /**
   * The side inputs, then the hold and the elements not processed yet, in order (each with {@code
   * coder}): the released ones, then the waiting ones.
   */
  void snapshot(DataOutputStream out, Coder<WindowedValue<T>> coder) throws IOException {
    sideInputs.snapshot(out);
    out.writeLong(holdMillis());
    SnapshotIo.writeBlock(
        out,
        block -> {
          block.writeInt(released.size() + waiting.size());
          for (WindowedValue<T> element : released) {
            SnapshotIo.writeNested(block, coder, element);
          }
          for (WindowedValue<T> element : waiting) {
            SnapshotIo.writeNested(block, coder, element);
          }
        });
  }

  /**
   * Every saved element comes back released: those whose side inputs are ready go on at once
   * ({@link #continueRelease}), the others wait again.
   */
  void restore(DataInputStream in, Coder<WindowedValue<T>> coder) throws IOException {
    sideInputs.restore(in);
    releasedHoldMillis = in.readLong();
    SnapshotIo.readBlock(
        in,
        "the elements waiting for side inputs",
        block -> {
          for (int i = block.readInt(); i > 0; i--) {
            released.add(SnapshotIo.readNested(block, coder));
          }
        });
  }

  /** At the end of input nothing may still wait. */
  void checkNoneWaiting(String stepName) {
    if (!waiting.isEmpty() || !released.isEmpty()) {
      throw new IllegalStateException(
          stepName + ": " + (waiting.size() + released.size())
              + " elements still wait for side inputs at the end");
    }
  }
}
