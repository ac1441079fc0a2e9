package dev.streamscope.simulator;

import dev.streamscope.vertex.Job;
import dev.streamscope.vertex.RecoveryConfig;
import dev.streamscope.vertex.VertexConfig;
import dev.streamscope.vertex.graph.JobGraph;
import dev.streamscope.vertex.graph.StageSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;

/**
 * Runs one job on a {@link SimulationLoop}: the vertex host and operators are the production
 * ones; only the seams (launcher, executors, clocks, I/O latency) are simulated.
 */
public final class Simulation {
  private Simulation() {}

  /** Restarts a run allows per vertex: crashes are injected at most twice per run. */
  private static final int RESTARTS_MAX = 4;

  /**
   * Runs {@code graph} with {@code seed} and {@code faults} for at most {@code virtualMillisMax}.
   * Crashes land after a seeded number of tasks up to {@code crashWindowTasks} (how many tasks a
   * failure-free run takes), so anywhere in the run: by virtual time they could not, as tasks take
   * none and a whole run may happen at one instant.
   */
  public static RunRecord run(
      JobGraph graph,
      long seed,
      Set<Faults> faults,
      VertexConfig config,
      long virtualMillisMax,
      long crashWindowTasks) {
    long wallStart = System.nanoTime(); // nondeterminism-ok: wall time is only reported
    SimulationLoop loop = new SimulationLoop(seed);
    List<String> vertices = new ArrayList<>();
    for (StageSpec stage : graph.stages()) {
      for (int p = 0; p < stage.parallelism(); p++) {
        vertices.add(stage.id() + "#" + p);
      }
    }
    String straggler = vertices.get(loop.random().nextInt(vertices.size()));
    if (faults.contains(Faults.JITTER)) {
      // BUGGIFY-style knob: how much a vertex consumes per turn must never change what it writes.
      int turnEventsMax = 1 << loop.random().nextInt(13);
      config =
          new VertexConfig(
              config.sourceBundleElementsMax(), turnEventsMax, config.streamBufferBytesMax(), config.idlePollMs());
    }
    SimulatedLauncher launcher =
        new SimulatedLauncher(loop, SimulatedLauncher.Knobs.defaults(faults), straggler);
    try (RecordingStreamStore streams = new RecordingStreamStore()) {
      Job job =
          Job.start(graph, streams, launcher, config, RecoveryConfig.recompute(RESTARTS_MAX));
      scheduleCrashes(loop, job, vertices, faults, crashWindowTasks);
      boolean done = loop.runUntil(() -> job.completion().isDone(), virtualMillisMax);
      Throwable failure = null;
      if (job.completion().isCompletedExceptionally()) {
        try {
          job.completion().join();
        } catch (CompletionException e) {
          failure = e.getCause();
        } catch (RuntimeException e) {
          failure = e;
        }
      } else if (!done) {
        job.cancel();
      }
      long wallMillis = (System.nanoTime() - wallStart) / 1_000_000; // nondeterminism-ok: reported
      return new RunRecord(
          seed,
          done && failure == null,
          failure,
          loop.nowMillis(),
          wallMillis,
          loop.executedTasks(),
          job.restarts(),
          loop.traceHash(),
          streams.logs());
    }
  }

  /** Kills a vertex (or a worker's vertices) once each, after seeded numbers of tasks. */
  private static void scheduleCrashes(
      SimulationLoop loop, Job job, List<String> vertices, Set<Faults> faults, long windowTasks) {
    if (faults.contains(Faults.VERTEX_CRASH)) {
      String victim = vertices.get(loop.random().nextInt(vertices.size()));
      loop.afterTasks(
          loop.random().nextLong(windowTasks + 1), "crash " + victim, () -> killIfRunning(job, victim));
    }
    if (faults.contains(Faults.WORKER_CRASH)) {
      String worker = "#" + loop.random().nextInt(maxPartitions(vertices));
      loop.afterTasks(
          loop.random().nextLong(windowTasks + 1),
          "crash worker" + worker,
          () -> vertices.stream().filter(v -> v.endsWith(worker)).forEach(v -> killIfRunning(job, v)));
    }
  }

  private static int maxPartitions(List<String> vertices) {
    int max = 1;
    for (String vertex : vertices) {
      max = Math.max(max, Integer.parseInt(vertex.substring(vertex.lastIndexOf('#') + 1)) + 1);
    }
    return max;
  }

  private static void killIfRunning(Job job, String vertexId) {
    try {
      job.kill(vertexId);
    } catch (IllegalStateException finishedAlready) {
      // Nothing to crash: the vertex had finished.
    }
  }
}
