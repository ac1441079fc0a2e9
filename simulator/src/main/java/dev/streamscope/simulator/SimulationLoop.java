package dev.streamscope.simulator;

import java.util.Comparator;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;

/**
 * One discrete-event loop with virtual time: every task of a simulated job runs here, one at a
 * time, in (time, order) order. Nothing waits for real time, so a simulated hour passes in
 * milliseconds; the seed decides every random choice, so the same seed gives the same run.
 *
 * <p>The trace hash folds in every task that runs (its time and label), so two runs with the same
 * trace hash took the same path.
 */
public final class SimulationLoop {
  private record Task(long atMillis, long order, String label, Runnable action) {}

  private final PriorityQueue<Task> tasks =
      new PriorityQueue<>(Comparator.comparingLong(Task::atMillis).thenComparingLong(Task::order));
  private final SplittableRandom random;
  private long nowMillis;
  private long nextOrder;
  private long executed;
  private long traceHash = 0xcbf29ce484222325L;

  public SimulationLoop(long seed) {
    this.random = new SplittableRandom(seed);
  }

  public long nowMillis() {
    return nowMillis;
  }

  /** The run's one source of randomness (seeded). */
  public SplittableRandom random() {
    return random;
  }

  /** Runs {@code action} at virtual time {@code atMillis} (not before now). */
  public void at(long atMillis, String label, Runnable action) {
    tasks.add(new Task(Math.max(atMillis, nowMillis), nextOrder++, label, action));
  }

  /** Runs tasks until {@code done} holds or virtual time passes {@code untilMillis}. */
  public boolean runUntil(BooleanSupplier done, long untilMillis) {
    while (!done.getAsBoolean()) {
      Task task = tasks.peek();
      if (task == null || task.atMillis() > untilMillis) {
        return false;
      }
      tasks.poll();
      nowMillis = task.atMillis();
      executed++;
      traceHash = mix(traceHash, task.atMillis());
      traceHash = mix(traceHash, task.label().hashCode());
      task.action().run();
    }
    return true;
  }

  public boolean isIdle() {
    return tasks.isEmpty();
  }

  public long executedTasks() {
    return executed;
  }

  public long traceHash() {
    return traceHash;
  }

  private static long mix(long hash, long value) {
    return (hash ^ value) * 0x100000001b3L;
  }
}
