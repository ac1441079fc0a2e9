package dev.streamscope.translation.runtime.steps;

import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Delayed;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The "executor" runners-core's OutputAndTimeBoundedSplittableProcessElementInvoker schedules its
 * time-based checkpoint on: it never runs anything, so splittable DoFn calls checkpoint by output
 * count alone and where they checkpoint depends on the input, not on how fast the machine is.
 */
final class OutputCountCheckpoints extends AbstractExecutorService
    implements ScheduledExecutorService {
  static final OutputCountCheckpoints INSTANCE = new OutputCountCheckpoints();

  private OutputCountCheckpoints() {}

  /** A scheduled action that never runs. */
  private static final class Never implements ScheduledFuture<Object> {
    private boolean cancelled;

    @Override
    public long getDelay(TimeUnit unit) {
      return Long.MAX_VALUE;
    }

    @Override
    public int compareTo(Delayed other) {
      return Long.compare(getDelay(TimeUnit.MILLISECONDS), other.getDelay(TimeUnit.MILLISECONDS));
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      cancelled = true;
      return true;
    }

    @Override
    public boolean isCancelled() {
      return cancelled;
    }

    @Override
    public boolean isDone() {
      return cancelled;
    }

    /** The invoker cancels, then waits: a cancelled future reports its cancellation. */
    @Override
    public Object get() {
      if (cancelled) {
        throw new CancellationException();
      }
      throw new UnsupportedOperationException("never runs: wait only after cancelling");
    }

    @Override
    public Object get(long timeout, TimeUnit unit) {
      return get();
    }
  }

  @Override
  public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    return new Never();
  }

  @Override
  public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
    throw new UnsupportedOperationException();
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(
      Runnable command, long initialDelay, long period, TimeUnit unit) {
    throw new UnsupportedOperationException();
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(
      Runnable command, long initialDelay, long delay, TimeUnit unit) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void execute(Runnable command) {
    throw new UnsupportedOperationException("runs nothing");
  }

  @Override
  public void shutdown() {}

  @Override
  public List<Runnable> shutdownNow() {
    return List.of();
  }

  @Override
  public boolean isShutdown() {
    return false;
  }

  @Override
  public boolean isTerminated() {
    return false;
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) {
    return false;
  }
}
