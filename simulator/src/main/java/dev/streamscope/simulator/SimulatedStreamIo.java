package dev.streamscope.simulator;

import dev.streamscope.rstream.io.StreamIo;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.LongSupplier;

/**
 * The simulated twin of the rStreams' I/O seam for one worker process: blocking calls and timers
 * become tasks on the {@link SimulationLoop} (a blocking call takes the latency {@code
 * ioLatencyMs} draws, see {@link Faults#SLOW_DISK}), and completions run on the loop. When the
 * process dies ({@link #kill()}) nothing pending runs or completes any more.
 */
final class SimulatedStreamIo implements StreamIo {
  private final SimulationLoop loop;
  // Task labels, built once: the loop hashes every task's label into the trace hash.
  private final String ioLabel;
  private final String timerLabel;
  private final LongSupplier ioLatencyMs;
  private final Set<Long> cancelledTimers = new HashSet<>();
  private long nextTimerId;
  private boolean dead;

  SimulatedStreamIo(SimulationLoop loop, String label, LongSupplier ioLatencyMs) {
    this.loop = loop;
    this.ioLabel = label + "/io";
    this.timerLabel = label + "/timer";
    this.ioLatencyMs = ioLatencyMs;
  }

  @Override
  public <T> CompletionStage<T> executeBlocking(Callable<T> task) {
    CompletableFuture<T> result = new CompletableFuture<>();
    if (dead) {
      return result;
    }
    loop.afterMillis(ioLatencyMs.getAsLong(), ioLabel, () -> {
      if (dead) {
        return;
      }
      T value;
      try {
        value = task.call();
      } catch (Throwable t) {
        result.completeExceptionally(t);
        return;
      }
      result.complete(value);
    });
    return result;
  }

  @Override
  public long setTimer(long delayMs, Runnable task) {
    long id = nextTimerId++;
    if (!dead) {
      loop.afterMillis(Math.max(1, delayMs), timerLabel, () -> {
        if (!dead && !cancelledTimers.remove(id)) {
          task.run();
        }
      });
    }
    return id;
  }

  @Override
  public void cancelTimer(long timerId) {
    cancelledTimers.add(timerId);
  }

  @Override
  public long nowMillis() {
    return loop.nowMillis();
  }

  /** The process died: drops everything pending. */
  void kill() {
    dead = true;
  }
}
