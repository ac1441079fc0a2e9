package dev.streamscope.simulator;

import java.util.Comparator;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * One discrete-event loop with virtual time: every task of a simulated job runs here, one at a
 * time, in (time, order) order. Nothing waits for real time, so a simulated hour passes in
 * milliseconds; the seed decides every random choice, so the same seed gives the same run.
 *
 * <p>Besides tasks at a virtual time there are tasks at a point of progress ({@link #afterTasks}):
 * tasks take no virtual time, so a whole job may run at one instant, and a fault meant to land
 * "somewhere in the run" is placed by how many tasks ran before it.
 *
 * <p>The trace hash folds in every task that runs (its time and label), so two runs with the same
 * trace hash took the same path. A trace sink, if set, gets one line per task.
 */
public final class SimulationLoop {
  private record Task(long atMillis, long order, String label, Runnable action) {}

  private record ProgressTask(long afterTasks, long order, String label, Runnable action) {}

  private final PriorityQueue<Task> tasks =
      new PriorityQueue<>(Comparator.comparingLong(Task::atMillis).thenComparingLong(Task::order));
  private final PriorityQueue<ProgressTask> progressTasks =
      new PriorityQueue<>(
          Comparator.comparingLong(ProgressTask::afterTasks).thenComparingLong(ProgressTask::order));
  private final SplittableRandom random;
  private long nowMillis;
  private long nextOrder;
  private long executed;
  private long traceHash = 0xcbf29ce484222325L;
  private Consumer<String> trace;

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

  /** Sends one line per task that runs ({@code <virtual ms> <task number> <label>}) to {@code sink}. */
  public void traceTo(Consumer<String> sink) {
    this.trace = sink;
  }

  /** Runs {@code action} at virtual time {@code atMillis} (not before now). */
  public void at(long atMillis, String label, Runnable action) {
    tasks.add(new Task(Math.max(atMillis, nowMillis), nextOrder++, label, action));
  }

  /**
   * Runs {@code action} once {@code count} tasks have run (at once if they have), before the next
   * timed task, at the current virtual time. Never runs if the run ends or stalls before.
   */
  public void afterTasks(long count, String label, Runnable action) {
    progressTasks.add(new ProgressTask(count, nextOrder++, label, action));
  }

  /** Runs tasks until {@code done} holds or virtual time passes {@code untilMillis}. */
  public boolean runUntil(BooleanSupplier done, long untilMillis) {
    while (!done.getAsBoolean()) {
      ProgressTask due = progressTasks.peek();
      if (due != null && due.afterTasks() <= executed) {
        progressTasks.poll();
        run(nowMillis, due.label(), due.action());
        continue;
      }
      Task task = tasks.peek();
      if (task == null || task.atMillis() > untilMillis) {
        return false;
      }
      tasks.poll();
      run(task.atMillis(), task.label(), task.action());
    }
    return true;
  }

  private void run(long atMillis, String label, Runnable action) {
    nowMillis = atMillis;
    executed++;
    traceHash = mix(traceHash, atMillis);
    traceHash = mix(traceHash, label.hashCode());
    if (trace != null) {
      trace.accept(atMillis + " " + executed + " " + label);
    }
    action.run();
  }

  /** True if no task waits for a virtual time: nothing will happen any more. */
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
