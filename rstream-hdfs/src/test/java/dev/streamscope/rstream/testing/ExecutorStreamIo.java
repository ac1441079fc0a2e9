package dev.streamscope.rstream.testing;

import dev.streamscope.rstream.io.StreamIo;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link StreamIo} on real threads, for tests and the benchmark. {@link #kill} stops it like a
 * dead process: queued work and timers are dropped and new work is refused (a task already
 * running finishes).
 */
public final class ExecutorStreamIo implements StreamIo, AutoCloseable {
  private final ExecutorService blocking;
  private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
  private final ConcurrentHashMap<Long, ScheduledFuture<?>> scheduled = new ConcurrentHashMap<>();
  private final AtomicLong nextTimerId = new AtomicLong();

  public ExecutorStreamIo(int threads) {
    this.blocking = Executors.newFixedThreadPool(threads);
  }

  @Override
  public <T> CompletionStage<T> executeBlocking(Callable<T> task) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return task.call();
          } catch (Exception e) {
            throw new CompletionException(e);
          }
        },
        blocking);
  }

  @Override
  public long setTimer(long delayMs, Runnable task) {
    long id = nextTimerId.incrementAndGet();
    scheduled.put(
        id,
        timers.schedule(
            () -> {
              scheduled.remove(id);
              task.run();
            },
            Math.max(1, delayMs),
            TimeUnit.MILLISECONDS));
    return id;
  }

  @Override
  public void cancelTimer(long timerId) {
    ScheduledFuture<?> future = scheduled.remove(timerId);
    if (future != null) {
      future.cancel(false);
    }
  }

  @Override
  public long nowMillis() {
    return System.currentTimeMillis();
  }

  /** Drops queued work and timers and refuses new work. */
  public void kill() {
    blocking.shutdownNow();
    timers.shutdownNow();
  }

  @Override
  public void close() throws InterruptedException {
    blocking.shutdown();
    timers.shutdown();
    blocking.awaitTermination(30, TimeUnit.SECONDS);
  }
}
