package dev.streamscope.rstream.testing;

import dev.streamscope.rstream.io.StreamIo;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A {@link StreamIo} stepped by the test: blocking tasks queue up until {@link #runOne} or {@link
 * #runAll} runs them (on the test's thread, completions included); time is virtual and moves only
 * with {@link #advanceMillis}. {@link #crash} drops everything pending, like a dead process.
 */
public final class ManualStreamIo implements StreamIo {
  private record Timer(long id, long dueMillis, Runnable task) {}

  private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
  private final TreeMap<Long, Timer> timersById = new TreeMap<>();
  private long nowMillis;
  private long nextTimerId;
  private boolean dead;

  @Override
  public synchronized <T> CompletionStage<T> executeBlocking(Callable<T> task) {
    CompletableFuture<T> future = new CompletableFuture<>();
    if (dead) {
      return future; // A dead process never completes anything.
    }
    tasks.add(
        () -> {
          T result;
          try {
            result = task.call();
          } catch (Throwable t) {
            future.completeExceptionally(t);
            return;
          }
          future.complete(result);
        });
    return future;
  }

  @Override
  public synchronized long setTimer(long delayMs, Runnable task) {
    long id = nextTimerId++;
    if (!dead) {
      timersById.put(id, new Timer(id, nowMillis + Math.max(1, delayMs), task));
    }
    return id;
  }

  @Override
  public synchronized void cancelTimer(long timerId) {
    timersById.remove(timerId);
  }

  @Override
  public synchronized long nowMillis() {
    return nowMillis;
  }

  /** Runs the oldest queued blocking task (and its completion); false if none was queued. */
  public boolean runOne() {
    Runnable task;
    synchronized (this) {
      task = tasks.poll();
    }
    if (task == null) {
      return false;
    }
    task.run();
    return true;
  }

  /**
   * Runs the newest queued blocking task (and its completion), ahead of older ones: how a thread
   * pool may order tasks that run side by side. False if none was queued.
   */
  public boolean runNewest() {
    Runnable task;
    synchronized (this) {
      task = tasks.pollLast();
    }
    if (task == null) {
      return false;
    }
    task.run();
    return true;
  }

  /** Runs queued tasks, including those they queue, until none is left; returns how many ran. */
  public int runAll() {
    int ran = 0;
    while (runOne()) {
      ran++;
    }
    return ran;
  }

  public synchronized int pendingTasks() {
    return tasks.size();
  }

  /** Moves virtual time forward, firing due timers in order (not the tasks they queue). */
  public void advanceMillis(long millis) {
    long target;
    synchronized (this) {
      target = nowMillis + millis;
    }
    while (true) {
      Timer next;
      synchronized (this) {
        next = null;
        for (Timer timer : timersById.values()) {
          if (timer.dueMillis <= target && (next == null || timer.dueMillis < next.dueMillis)) {
            next = timer;
          }
        }
        if (next == null) {
          nowMillis = target;
          return;
        }
        timersById.remove(next.id);
        nowMillis = next.dueMillis;
      }
      next.task.run();
    }
  }

  /** Advances time and runs tasks until nothing is pending and no timer is due within the span. */
  public void settle(long spanMillis) {
    runAll();
    for (long elapsed = 0; elapsed < spanMillis; elapsed++) {
      advanceMillis(1);
      runAll();
    }
  }

  /** Drops every queued task and timer, and ignores all new ones: the process died. */
  public synchronized void crash() {
    dead = true;
    tasks.clear();
    timersById.clear();
  }

  synchronized Map<Long, Timer> timers() {
    return timersById;
  }

  /** Removes timers (for tests that want no time-based flush). */
  public synchronized void clearTimers() {
    Iterator<Long> ids = timersById.keySet().iterator();
    while (ids.hasNext()) {
      ids.next();
      ids.remove();
    }
  }
}
