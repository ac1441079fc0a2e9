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
 * <p>Every task costs CPU time: a seeded {@value #TASK_CPU_MICROS_MIN}-{@value
 * #TASK_CPU_MICROS_MAX} µs, after which the next task starts (the loop is one CPU, so a task due
 * earlier waits for it). Virtual time therefore passes while work runs, not only when something
 * waits on it, and what depends on it (snapshots every checkpoint interval, timed flushes) happens
 * in every run. The loop keeps time in microseconds; vertices see whole milliseconds.
 *
 * <p>Besides tasks at a virtual time there are tasks at a point of progress ({@link #afterTasks}):
 * a fault meant to land "somewhere in the run" is placed by how many tasks ran before it.
 *
 * <p>The trace hash folds in every task that runs (its time and label), so two runs with the same
 * trace hash took the same path. A trace sink, if set, gets one line per task.
 */
public final class SimulationLoop {
  /** CPU time a task costs, drawn per task: small against any delay a fault injects. */
  static final long TASK_CPU_MICROS_MIN = 2;

  static final long TASK_CPU_MICROS_MAX = 40;

  /** Ordered by time, then by scheduling order (a plain compareTo: the queue's hottest call). */
  private record Task(long atMicros, long order, String label, Runnable action) implements Comparable<Task> {
    @Override
    public int compareTo(Task other) {
      int byTime = Long.compare(atMicros, other.atMicros);
      return byTime != 0 ? byTime : Long.compare(order, other.order);
    }
  }

  private record ProgressTask(long afterTasks, long order, String label, Runnable action) {}

  private final PriorityQueue<Task> tasks = new PriorityQueue<>();
  private final PriorityQueue<ProgressTask> progressTasks =
      new PriorityQueue<>(
          Comparator.comparingLong(ProgressTask::afterTasks).thenComparingLong(ProgressTask::order));
  private final SplittableRandom random;
  // Its own stream, so that what tasks cost does not shift the other seeded choices.
  private final SplittableRandom cpuRandom;
  private long nowMicros;
  private long nextOrder;
  private long executed;
  private long traceHash = 0xcbf29ce484222325L;
  private Consumer<String> trace;

  public SimulationLoop(long seed) {
    this.random = new SplittableRandom(seed);
    this.cpuRandom = random.split();
  }

  public long nowMillis() {
    return nowMicros / 1_000;
  }

  long nowMicros() {
    return nowMicros;
  }

  /** The run's one source of randomness (seeded). */
  public SplittableRandom random() {
    return random;
  }

  /**
   * Sends one line per task that runs ({@code <virtual ms, to the µs> <task number> <label>}) to
   * {@code sink}.
   */
  public void traceTo(Consumer<String> sink) {
    this.trace = sink;
  }

  /** Runs {@code action} at virtual time {@code atMillis} (not before now). */
  public void at(long atMillis, String label, Runnable action) {
    atMicros(atMillis * 1_000, label, action);
  }

  /** Runs {@code action} {@code delayMillis} after now. */
  public void afterMillis(long delayMillis, String label, Runnable action) {
    atMicros(nowMicros + delayMillis * 1_000, label, action);
  }

  /** Runs {@code action} at virtual time {@code atMicros} (not before now). */
  void atMicros(long atMicros, String label, Runnable action) {
    tasks.add(new Task(Math.max(atMicros, nowMicros), nextOrder++, label, action));
  }

  /**
   * Runs {@code action} once {@code count} tasks have run (at once if they have), before the next
   * timed task. Never runs if the run ends or stalls before.
   */
  public void afterTasks(long count, String label, Runnable action) {
    progressTasks.add(new ProgressTask(count, nextOrder++, label, action));
  }

  /** Runs tasks until {@code done} holds or virtual time passes {@code untilMillis}. */
  public boolean runUntil(BooleanSupplier done, long untilMillis) {
    long untilMicros = untilMillis * 1_000;
    while (!done.getAsBoolean()) {
      ProgressTask due = progressTasks.peek();
      if (due != null && due.afterTasks() <= executed) {
        progressTasks.poll();
        run(nowMicros, due.label(), due.action());
        continue;
      }
      Task task = tasks.peek();
      if (task == null || task.atMicros() > untilMicros) {
        return false;
      }
      tasks.poll();
      run(task.atMicros(), task.label(), task.action());
    }
    return true;
  }

  private void run(long atMicros, String label, Runnable action) {
    // One CPU: a task due while another ran starts when that one is done.
    nowMicros = Math.max(nowMicros, atMicros);
    executed++;
    traceHash = mix(traceHash, nowMicros);
    traceHash = mix(traceHash, label.hashCode());
    if (trace != null) {
      trace.accept(nowMicros / 1_000 + "." + String.format("%03d", nowMicros % 1_000) + " " + executed + " " + label);
    }
    action.run();
    nowMicros += cpuRandom.nextLong(TASK_CPU_MICROS_MIN, TASK_CPU_MICROS_MAX + 1);
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
