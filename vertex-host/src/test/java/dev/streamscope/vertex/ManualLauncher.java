package dev.streamscope.vertex;

import dev.streamscope.vertex.seams.VertexExecutor;
import dev.streamscope.vertex.seams.VertexLauncher;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * A {@link VertexLauncher} for deterministic tests: every vertex's tasks run on the test thread,
 * in {@link #runUntil}, on one virtual clock that only tasks move ({@link #advance}): the wall
 * clock and the CPU time apart, so a test can make work wait for a CPU without doing any. The
 * ready task of the vertex launched first runs first (sources before their consumers, so a
 * consumer may find much input at once and take long turns). Blocking work (snapshot writes)
 * runs at once, as on an instant disk; its completion is queued behind the vertex's tasks, as a
 * real executor delivers it.
 */
final class ManualLauncher implements VertexLauncher {
  private final List<Executor> executors = new ArrayList<>();
  /** Timers by (due millis, id). */
  private final TreeMap<long[], Runnable> timers =
      new TreeMap<>((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
  private long nowMillis;
  private long cpuNanos;
  private long nextTimerId;

  long nowMillis() {
    return nowMillis;
  }

  /** The running task took {@code wallMs} of wall time, {@code cpuMs} of it on a CPU. */
  void advance(long wallMs, long cpuMs) {
    if (cpuMs > wallMs) {
      throw new IllegalArgumentException("CPU time " + cpuMs + " ms > wall time " + wallMs + " ms");
    }
    nowMillis += wallMs;
    cpuNanos += cpuMs * 1_000_000;
  }

  @Override
  public CompletionStage<Launched> launch(
      String vertexId, Function<VertexExecutor, Runnable> start) {
    Executor executor = new Executor();
    executors.add(executor);
    executor.execute(start.apply(executor));
    return CompletableFuture.completedFuture(
        () -> {
          executor.stopped = true;
          return CompletableFuture.completedFuture(null);
        });
  }

  /**
   * Runs tasks until {@code done}, failing if nothing is left to run first or the clock passes
   * {@code maxMillis}.
   */
  void runUntil(BooleanSupplier done, long maxMillis) {
    while (!done.getAsBoolean()) {
      if (nowMillis > maxMillis) {
        throw new AssertionError("Not done at " + nowMillis + " ms");
      }
      Executor ready = null;
      for (Executor executor : executors) {
        if (!executor.stopped && !executor.ready.isEmpty()) {
          ready = executor;
          break;
        }
      }
      if (ready != null) {
        ready.ready.poll().run();
        continue;
      }
      if (timers.isEmpty()) {
        throw new AssertionError("Nothing left to run at " + nowMillis + " ms, and not done");
      }
      var timer = timers.pollFirstEntry();
      nowMillis = Math.max(nowMillis, timer.getKey()[0]);
      timer.getValue().run();
    }
  }

  private final class Executor implements VertexExecutor {
    final ArrayDeque<Runnable> ready = new ArrayDeque<>();
    boolean stopped;

    @Override
    public long nowMillis() {
      return nowMillis;
    }

    @Override
    public long threadCpuNanos() {
      return cpuNanos;
    }

    @Override
    public void execute(Runnable task) {
      ready.add(task);
    }

    @Override
    public long setTimer(long delayMs, Runnable task) {
      long id = nextTimerId++;
      timers.put(new long[] {nowMillis + Math.max(1, delayMs), id}, () -> execute(task));
      return id;
    }

    @Override
    public void cancelTimer(long timerId) {
      timers.keySet().removeIf(key -> key[1] == timerId);
    }

    @Override
    public <T> CompletionStage<T> executeBlocking(Callable<T> task) {
      CompletableFuture<T> done = new CompletableFuture<>();
      T result;
      try {
        result = task.call();
      } catch (Exception e) {
        execute(() -> done.completeExceptionally(e));
        return done;
      }
      execute(() -> done.complete(result));
      return done;
    }
  }
}
