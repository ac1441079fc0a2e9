package dev.streamscope.vertex.vertx;

import dev.streamscope.rstream.io.StreamIo;
import dev.streamscope.vertex.seams.Clock;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;

/**
 * The production binding of the rStream I/O seam: blocking Hadoop calls run on a dedicated Vert.x
 * worker pool (so slow storage does not hold up the vertices' own worker threads), timers are
 * Vert.x timers, time is the system clock. Completions run on the pool's threads; rStreams only
 * hand work off from them.
 */
public final class VertxStreamIo implements StreamIo {
  private final Vertx vertx;
  private final WorkerExecutor workers;
  private final Clock clock;

  /** Creates the shared worker pool {@code poolName} of {@code poolSize} threads on {@code vertx}. */
  public VertxStreamIo(Vertx vertx, String poolName, int poolSize) {
    this.vertx = vertx;
    this.workers = vertx.createSharedWorkerExecutor(poolName, poolSize);
    this.clock = Clock.SYSTEM;
  }

  @Override
  public <T> CompletionStage<T> executeBlocking(Callable<T> task) {
    return workers.executeBlocking(task, false).toCompletionStage();
  }

  @Override
  public long setTimer(long delayMs, Runnable task) {
    return vertx.setTimer(Math.max(1, delayMs), id -> task.run());
  }

  @Override
  public void cancelTimer(long timerId) {
    vertx.cancelTimer(timerId);
  }

  @Override
  public long nowMillis() {
    return clock.nowMillis();
  }

  /** Releases the worker pool (Vert.x closes it anyway when it closes). */
  public void close() {
    workers.close();
  }
}
