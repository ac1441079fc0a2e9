package dev.streamscope.runner;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.KV;

/**
 * Lands a kill in the middle of a job: {@link Gate} holds its partition at one element until the
 * test, having killed a vertex downstream, {@link #open opens} the gate. One gate at a time per
 * JVM (tests using it must not run concurrently).
 */
final class KillGate {
  private static volatile CountDownLatch reached = new CountDownLatch(1);
  private static volatile CountDownLatch release = new CountDownLatch(1);

  private KillGate() {}

  /** A fresh gate, for the next pipeline. */
  static void reset() {
    reached = new CountDownLatch(1);
    release = new CountDownLatch(1);
  }

  /** Waits until a {@link Gate} holds. */
  static void awaitHeld() throws InterruptedException {
    assertTrue(reached.await(60, TimeUnit.SECONDS), "the gate was reached");
  }

  static void open() {
    release.countDown();
  }

  /** Holds at the element {@code holdAt} of a stream of numbers. */
  static Gate<Long> atNumber(long holdAt) {
    return new Gate<>(holdAt, (Long number) -> number);
  }

  /** Holds at the pair whose value is {@code holdAt}. */
  static Gate<KV<Long, Long>> atValue(long holdAt) {
    return new Gate<>(holdAt, KV::getValue);
  }

  /** Passes elements through; holds at the one numbered {@code holdAt} until opened. */
  static final class Gate<T> extends DoFn<T, T> {
    private final long holdAt;
    private final SerializableFunction<T, Long> number;

    private Gate(long holdAt, SerializableFunction<T, Long> number) {
      this.holdAt = holdAt;
      this.number = number;
    }

    @ProcessElement
    public void process(@Element T element, OutputReceiver<T> out) throws InterruptedException {
      if (number.apply(element) == holdAt && reached.getCount() > 0) {
        reached.countDown();
        assertTrue(release.await(60, TimeUnit.SECONDS), "the test opened the gate");
      }
      out.output(element);
    }
  }
}
