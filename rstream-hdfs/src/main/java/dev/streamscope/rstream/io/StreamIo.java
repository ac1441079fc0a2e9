package dev.streamscope.rstream.io;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;

/**
 * The determinism seam of rStream persistence: the only way stream code reaches threads, timers
 * and the clock. Every blocking Hadoop {@code FileSystem} call (create, write, hflush, hsync,
 * open, read, listStatus, delete, truncate) runs inside {@link #executeBlocking}, never on the
 * writer's or the reader's thread.
 *
 * <p>Production binds it to Vert.x ({@code executeBlocking} on a worker pool, {@code setTimer});
 * tests bind it to executors or to a manually stepped queue; the simulator will bind it to its
 * discrete-event loop with virtual time.
 *
 * <p>Completions and timer tasks may run on any thread, and stream code never assumes which; it
 * also never calls these methods while holding its own lock, so a binding may run a task inline.
 */
public interface StreamIo {
  /** Runs {@code task} off the caller's thread; the stage completes with its result or error. */
  <T> CompletionStage<T> executeBlocking(Callable<T> task);

  /** Runs {@code task} once after {@code delayMs} (at least 1 ms); returns a handle to cancel it. */
  long setTimer(long delayMs, Runnable task);

  /** Cancels a timer; a timer that already fired or was cancelled is ignored. */
  void cancelTimer(long timerId);

  /** The current time in milliseconds (wall clock in production, virtual in the simulator). */
  long nowMillis();
}
