package dev.streamscope.vertex.seams;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;

/**
 * The single-threaded executor of one vertex instance: every task of the vertex runs here, one at
 * a time, so vertex code needs no locks. Production binds it to a Vert.x context; the simulator to
 * its discrete-event loop.
 */
public interface VertexExecutor {
  /** Processing time as this vertex sees it (workers' clocks may disagree). */
  long nowMillis();

  /**
   * Time the calling thread (the vertex's) has run on a CPU, in nanoseconds: what a piece of the
   * vertex's own work costs, without the time its thread waited for a CPU or for a garbage
   * collection (on a loaded machine, wall time can be many times the work). Only differences
   * mean something. Defaults to processing time, for executors that cannot tell them apart.
   */
  default long threadCpuNanos() {
    return nowMillis() * 1_000_000;
  }

  /** Runs {@code task} later on this vertex's thread. May be called from any thread. */
  void execute(Runnable task);

  /** Runs {@code task} on this vertex's thread after {@code delayMs}; returns a cancel handle. */
  long setTimer(long delayMs, Runnable task);

  void cancelTimer(long timerId);

  /** Runs blocking work (file system calls) off the vertex thread; completes on the vertex thread. */
  <T> CompletionStage<T> executeBlocking(Callable<T> task);
}
