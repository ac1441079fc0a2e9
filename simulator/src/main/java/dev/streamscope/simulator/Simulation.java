package dev.streamscope.simulator;

import dev.streamscope.vertex.Job;
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

  /** Runs {@code graph} with {@code seed} and {@code faults} for at most {@code virtualMillisMax}. */
  public static RunRecord run(
      JobGraph graph, long seed, Set<Faults> faults, VertexConfig config, long virtualMillisMax) {
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
      Job job = Job.start(graph, streams, launcher, config);
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
          loop.traceHash(),
          streams.logs());
    }
  }
}
