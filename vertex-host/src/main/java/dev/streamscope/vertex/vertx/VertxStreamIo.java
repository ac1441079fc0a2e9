package dev.streamscope.vertex.vertx;

import dev.streamscope.rstream.io.StreamIo;
import dev.streamscope.vertex.seams.Clock;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The production binding of the rStream I/O seam: blocking Hadoop calls run on a dedicated Vert.x
 * worker pool (so slow storage does not hold up the vertices' own worker threads), timers are
 * Vert.x timers, time is the system clock.
 *
 * <p>Nothing here belongs to the caller's Vert.x context. A stream calls in from whichever vertex
 * wrote or read last, and Vert.x ties a timer set on a verticle's context to that verticle: it is
 * cancelled when the verticle is undeployed (a restarted or finished vertex), which would lose a
 * stream's flush or retry timer. So timers go to a context of their own, and blocking work
 * completes its stage on the worker thread itself rather than back on the caller's context.
 */
public final class VertxStreamIo implements StreamIo {
  private final WorkerExecutor workers;
  private final ContextInternal timerContext;
  private final Clock clock;

  /** Creates the shared worker pool {@code poolName} of {@code poolSize} threads on {@code vertx}. */
  public VertxStreamIo(Vertx vertx, String poolName, int poolSize) {
    this.workers = vertx.createSharedWorkerExecutor(poolName, poolSize);
    // Internal API: a context that belongs to no deployment, so its timers live as long as Vert.x.
    this.timerContext = ((VertxInternal) vertx).createEventLoopContext();
    this.clock = Clock.SYSTEM;
  }

  @Override
  public <T> CompletionStage<T> executeBlocking(Callable<T> task) {
    CompletableFuture<T> result = new CompletableFuture<>();
    workers
        .executeBlocking(
            () -> {
              try {
                result.complete(task.call());
              } catch (Throwable t) {
                result.completeExceptionally(t);
              }
              return null;
            },
            false)
        .onFailure(result::completeExceptionally); // rejected: the pool or Vert.x closed
    return result;
  }

  @Override
  public long setTimer(long delayMs, Runnable task) {
    return timerContext.setTimer(Math.max(1, delayMs), id -> task.run());
  }

  @Override
  public void cancelTimer(long timerId) {
    timerContext.owner().cancelTimer(timerId);
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
