package dev.streamscope.simulator;

import dev.streamscope.vertex.seams.VertexExecutor;
import dev.streamscope.vertex.seams.VertexLauncher;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * Places vertices on the {@link SimulationLoop}: the simulated twin of the Vert.x launcher. Each
 * vertex gets an executor whose tasks keep their submission order (like a Vert.x context), with
 * the delays, skew and I/O latency the enabled {@link Faults} ask for; a relaunched vertex starts
 * late with {@link Faults#RESTART_DELAY}, and not before its worker is up.
 */
final class SimulatedLauncher implements VertexLauncher {
  /** Fault knobs; a disabled fault contributes nothing. */
  record Knobs(
      Set<Faults> faults,
      long jitterMsMax,
      long stragglerDelayMs,
      long clockSkewMsMax,
      long ioLatencyMsMax,
      long restartDelayMsMax) {
    static Knobs defaults(Set<Faults> faults) {
      return new Knobs(faults, 5, 50, 10_000, 20, 500);
    }
  }

  private final SimulationLoop loop;
  private final Probes probes;
  private final Knobs knobs;
  private final String stragglerVertex;
  private final Map<String, SimExecutor> executors = new TreeMap<>();
  private final Map<Integer, Long> clockOffsetsMs = new TreeMap<>();
  private final Map<Integer, List<Runnable>> waitingForWorker = new TreeMap<>();
  private long launched;

  SimulatedLauncher(SimulationLoop loop, Probes probes, Knobs knobs, String stragglerVertex) {
    this.loop = loop;
    this.probes = probes;
    this.knobs = knobs;
    this.stragglerVertex = stragglerVertex;
  }

  @Override
  public CompletionStage<Launched> launch(String vertexId, Function<VertexExecutor, Runnable> start) {
    SimExecutor executor = new SimExecutor(vertexId);
    boolean relaunch = executors.put(vertexId, executor) != null;
    launched++;
    Runnable begin = () -> executor.execute(start.apply(executor));
    if (relaunch && enabled(Faults.RESTART_DELAY)) {
      // A restarted (or regenerating) vertex comes up a while after it was asked for.
      probes.hit("restart-delay");
      Runnable now = begin;
      long delayMs = 1 + loop.random().nextLong(knobs.restartDelayMsMax());
      begin = () -> loop.afterMillis(delayMs, "start " + vertexId, now);
    }
    List<Runnable> waiting = waitingForWorker.get(Workers.of(vertexId));
    if (waiting != null) {
      waiting.add(begin); // Its worker's process is down: it starts when the worker is back.
    } else {
      begin.run();
    }
    return CompletableFuture.completedFuture(
        () -> {
          executor.stopped = true;
          return CompletableFuture.completedFuture(null);
        });
  }

  long launchedVertices() {
    return launched;
  }

  /**
   * Worker {@code worker}'s process died: its vertices stop where they are (the job learns of it
   * later, when they are killed), and vertices launched on it wait until {@link #workerUp}.
   */
  void workerDown(int worker) {
    waitingForWorker.putIfAbsent(worker, new ArrayList<>());
    executors.forEach((vertexId, executor) -> {
      if (Workers.of(vertexId) == worker) {
        executor.stopped = true;
      }
    });
  }

  /** Worker {@code worker} is back: starts the vertices launched on it meanwhile. */
  void workerUp(int worker) {
    List<Runnable> waiting = waitingForWorker.remove(worker);
    if (waiting != null) {
      waiting.forEach(Runnable::run);
    }
  }

  /** How long one blocking call takes: up to ioLatencyMsMax with a slow disk, else nothing. */
  long ioLatencyMs() {
    return enabled(Faults.SLOW_DISK) ? loop.random().nextLong(knobs.ioLatencyMsMax() + 1) : 0;
  }

  /** Each worker's clock is off by a fixed seeded amount (clock skew is between machines). */
  private long clockOffsetMs(String vertexId) {
    if (!enabled(Faults.CLOCK_SKEW)) {
      return 0;
    }
    return clockOffsetsMs.computeIfAbsent(
        Workers.of(vertexId),
        worker -> loop.random().nextLong(-knobs.clockSkewMsMax(), knobs.clockSkewMsMax() + 1));
  }

  private boolean enabled(Faults fault) {
    return knobs.faults().contains(fault);
  }

  private final class SimExecutor implements VertexExecutor {
    private final String vertexId;
    // Task labels, built once: the loop hashes every task's label into the trace hash.
    private final String timerLabel;
    private final String ioLabel;
    private final long clockOffsetMs;
    private final Set<Long> cancelledTimers = new HashSet<>();
    private long lastTaskAtMicros;
    private long nextTimerId;
    boolean stopped;

    SimExecutor(String vertexId) {
      this.vertexId = vertexId;
      this.timerLabel = vertexId + "/timer";
      this.ioLabel = vertexId + "/io";
      this.clockOffsetMs = clockOffsetMs(vertexId);
    }

    private long delayMs() {
      long delay = enabled(Faults.JITTER) ? loop.random().nextLong(knobs.jitterMsMax() + 1) : 0;
      if (enabled(Faults.STRAGGLER) && vertexId.equals(stragglerVertex)) {
        delay += knobs.stragglerDelayMs();
      }
      return delay;
    }

    @Override
    public long nowMillis() {
      return loop.nowMillis() + clockOffsetMs;
    }

    @Override
    public void execute(Runnable task) {
      // FIFO per vertex, like a Vert.x context: never before the previous task.
      long at = Math.max(loop.nowMicros() + delayMs() * 1_000, lastTaskAtMicros);
      lastTaskAtMicros = at;
      loop.atMicros(at, vertexId, () -> {
        if (!stopped) {
          task.run();
        }
      });
    }

    @Override
    public long setTimer(long delayMs, Runnable task) {
      long id = nextTimerId++;
      loop.afterMillis(Math.max(1, delayMs) + delayMs(), timerLabel, () -> {
        if (!stopped && !cancelledTimers.remove(id)) {
          task.run();
        }
      });
      return id;
    }

    @Override
    public void cancelTimer(long timerId) {
      cancelledTimers.add(timerId);
    }

    @Override
    public <T> CompletionStage<T> executeBlocking(Callable<T> task) {
      CompletableFuture<T> result = new CompletableFuture<>();
      long latency = ioLatencyMs();
      loop.afterMillis(latency, ioLabel, () -> {
        if (stopped) {
          return; // Its process died (or the vertex was stopped): the call never happens.
        }
        T value;
        try {
          value = task.call();
        } catch (Throwable t) {
          execute(() -> result.completeExceptionally(t));
          return;
        }
        execute(() -> result.complete(value));
      });
      return result;
    }
  }
}
