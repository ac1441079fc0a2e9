package dev.streamscope.simulator;

import dev.streamscope.rstream.persist.PersistenceStrategy;
import dev.streamscope.rstream.persist.RStreamOptions;
import dev.streamscope.rstream.persist.RegenerationHook;
import dev.streamscope.vertex.Job;
import dev.streamscope.vertex.RecoveryConfig;
import dev.streamscope.vertex.RecoveryStrategy;
import dev.streamscope.vertex.VertexConfig;
import dev.streamscope.vertex.graph.JobGraph;
import dev.streamscope.vertex.graph.StageSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Runs one job on a {@link SimulationLoop}: the vertex host, operators and rStreams are the
 * production ones; only the seams (launcher, executors, clocks, blocking I/O, the file system)
 * are simulated.
 */
public final class Simulation {
  private Simulation() {}

  /** Restarts a run allows per vertex: crashes are injected at most twice per run. */
  private static final int RESTARTS_MAX = 4;

  /**
   * What every run of a simulation shares: everything but the seed and the faults.
   *
   * @param streamOptions how rStreams are persisted where a stage's strategy does not say
   *     ({@code --rstreamPersistence}; {@code memory-only}: not at all)
   * @param strategyOfStage how each stage's vertices recover (recompute, or a checkpoint strategy
   *     with snapshots every {@code checkpointIntervalMs}), which also decides how its output
   *     streams are persisted ({@link RecoveryStrategy#streamPersistence})
   * @param virtualMillisMax virtual time after which a run counts as stuck
   * @param faultWindowTasks how many tasks a failure-free run takes: faults that strike once
   *     (crashes) land after a seeded number of tasks up to this, so anywhere in the run (a run
   *     without delaying faults lasts a few virtual ms, too short to place them by time)
   */
  public record Settings(
      VertexConfig vertexConfig,
      RStreamOptions streamOptions,
      Function<String, RecoveryStrategy> strategyOfStage,
      long checkpointIntervalMs,
      long virtualMillisMax,
      long faultWindowTasks) {}

  /** Runs {@code graph} with {@code seed} and {@code faults}. */
  public static RunRecord run(JobGraph graph, long seed, Set<Faults> faults, Settings settings) {
    return run(graph, seed, faults, settings, null);
  }

  /** As {@link #run(JobGraph, long, Set, Settings)}, sending one line per task to {@code trace}. */
  public static RunRecord run(
      JobGraph graph, long seed, Set<Faults> faults, Settings settings, Consumer<String> trace) {
    LocalFilesOverlay files = new LocalFilesOverlay();
    return OverlayFileSystem.using(files, () -> run(graph, seed, faults, settings, trace, files));
  }

  private static RunRecord run(
      JobGraph graph,
      long seed,
      Set<Faults> faults,
      Settings settings,
      Consumer<String> trace,
      LocalFilesOverlay files) {
    long wallStart = System.nanoTime(); // nondeterminism-ok: wall time is only reported
    SimulationLoop loop = new SimulationLoop(seed);
    Probes probes = new Probes();
    if (trace != null) {
      loop.traceTo(trace);
    }
    List<String> vertices = new ArrayList<>();
    for (StageSpec stage : graph.stages()) {
      for (int p = 0; p < stage.parallelism(); p++) {
        vertices.add(stage.id() + "#" + p);
      }
    }
    String straggler = vertices.get(loop.random().nextInt(vertices.size()));
    VertexConfig config = settings.vertexConfig();
    if (faults.contains(Faults.JITTER)) {
      // BUGGIFY-style knob: how much a vertex consumes per turn must never change what it writes.
      int turnEventsMax = 1 << loop.random().nextInt(13);
      config = config.withTurnEventsMax(turnEventsMax);
    }
    RStreamOptions streamOptions = settings.streamOptions();
    Function<String, PersistenceStrategy> persistenceOfStage =
        stage -> settings.strategyOfStage().apply(stage).streamPersistence(settings.streamOptions().strategy());
    boolean anyPersisted =
        graph.stages().stream()
            .anyMatch(stage -> persistenceOfStage.apply(stage.id()) != PersistenceStrategy.MEMORY_ONLY);
    long checkpointIntervalMs = settings.checkpointIntervalMs();
    if (!faults.isEmpty()) {
      if (anyPersisted) {
        streamOptions = buggify(streamOptions, loop.random());
      }
      // BUGGIFY-style knob: runs last a few virtual ms, so snapshots must come often to matter.
      long[] intervalsMs = {1, 10, 100, checkpointIntervalMs};
      checkpointIntervalMs = pick(intervalsMs, loop.random());
    }
    SimulatedLauncher launcher =
        new SimulatedLauncher(loop, probes, SimulatedLauncher.Knobs.defaults(faults), straggler);
    SimulatedNetwork network = new SimulatedNetwork(loop, probes, SimulatedNetwork.Knobs.defaults(faults));
    Job[] job = new Job[1];
    RegenerationHook regeneration =
        (streamId, producer, fromSeq) -> {
          probes.hit("regenerate");
          job[0].regenerate(producer);
        };
    SimulatedStreamStore streams =
        new SimulatedStreamStore(
            loop, probes, network, streamOptions, persistenceOfStage, anyPersisted,
            SimulatedFileSystem.Knobs.of(faults), launcher::ioLatencyMs, regeneration);
    try (streams) {
      RecoveryConfig recovery =
          RecoveryConfig.snapshots(
              RESTARTS_MAX, streams.snapshots(), checkpointIntervalMs, settings.strategyOfStage()::apply);
      job[0] = Job.start(graph, streams, launcher, config, recovery);
      scheduleCrashes(loop, job[0], launcher, streams, probes, vertices, faults, settings.faultWindowTasks());
      schedulePartition(loop, network, vertices, faults, settings.faultWindowTasks());
      // A stream the product could not recover fails the run, as it fails a real job.
      loop.runUntil(
          () -> job[0].completion().isDone() || streams.recoveryFailure() != null, settings.virtualMillisMax());
      boolean done = job[0].completion().isDone();
      boolean stalled = !done && loop.isIdle();
      Throwable failure = streams.recoveryFailure();
      if (failure == null && job[0].completion().isCompletedExceptionally()) {
        try {
          job[0].completion().join();
        } catch (CompletionException e) {
          failure = e.getCause();
        } catch (RuntimeException e) {
          failure = e;
        }
      }
      if (!done) {
        job[0].cancel();
      }
      long wallMillis = (System.nanoTime() - wallStart) / 1_000_000; // nondeterminism-ok: reported
      return new RunRecord(
          seed,
          done && failure == null,
          stalled && failure == null,
          failure,
          loop.nowMillis(),
          wallMillis,
          loop.executedTasks(),
          job[0].restarts(),
          loop.traceHash(),
          streams.logs(),
          List.copyOf(streams.durabilityLosses()),
          probes.counts(),
          files);
    }
  }

  /**
   * BUGGIFY-style knobs of persisted streams, seeded: small batches, memory and segments reach
   * rare paths (tier-2 reads, segment rolls, back-pressure); none may change what a stream holds.
   */
  private static RStreamOptions buggify(RStreamOptions options, SplittableRandom random) {
    long[] flushIntervalsMs = {1, 5, 20, 100};
    long[] batchBytes = {512, 8 << 10, 1 << 20};
    long[] memoryBytes = {2 << 10, 32 << 10, 64L << 20};
    long[] segmentBytes = {4 << 10, 64 << 10, 64L << 20};
    long[] readBytes = {1 << 10, 1 << 20};
    long[] backlogBytes = {8 << 10, 16L << 20};
    return options
        .withBatch(pick(batchBytes, random), pick(flushIntervalsMs, random))
        .withMemoryBytesMax(pick(memoryBytes, random))
        .withSegmentBytesMax(pick(segmentBytes, random))
        .withReadBytesMax(pick(readBytes, random))
        .withBacklogBytesMax(pick(backlogBytes, random));
  }

  private static long pick(long[] values, SplittableRandom random) {
    return values[random.nextInt(values.length)];
  }

  /**
   * Kills a vertex, or a worker's process (its vertices and, with persisted streams, what it held
   * in memory), once each, after seeded numbers of tasks.
   */
  private static void scheduleCrashes(
      SimulationLoop loop,
      Job job,
      SimulatedLauncher launcher,
      SimulatedStreamStore streams,
      Probes probes,
      List<String> vertices,
      Set<Faults> faults,
      long windowTasks) {
    if (faults.contains(Faults.VERTEX_CRASH)) {
      String victim = vertices.get(loop.random().nextInt(vertices.size()));
      loop.afterTasks(
          loop.random().nextLong(windowTasks + 1),
          "crash " + victim,
          () -> {
            probes.hit("vertex-crash");
            killIfRunning(job, victim);
          });
    }
    if (faults.contains(Faults.WORKER_CRASH)) {
      int worker = loop.random().nextInt(workerCount(vertices));
      loop.afterTasks(
          loop.random().nextLong(windowTasks + 1),
          "crash worker#" + worker,
          () -> {
            probes.hit("worker-crash");
            launcher.workerDown(worker);
            streams.crashWorker(worker, () -> launcher.workerUp(worker));
            // The job learns of the crash (a failure detector would tell it) and restarts them.
            vertices.stream().filter(v -> Workers.of(v) == worker).forEach(v -> killIfRunning(job, v));
          });
    }
  }

  /** Cuts one worker off from the others once, after a seeded number of tasks, for a while. */
  private static void schedulePartition(
      SimulationLoop loop, SimulatedNetwork network, List<String> vertices, Set<Faults> faults, long windowTasks) {
    if (faults.contains(Faults.NETWORK_PARTITION)) {
      int worker = loop.random().nextInt(workerCount(vertices));
      long durationMs = network.partitionMs();
      loop.afterTasks(
          loop.random().nextLong(windowTasks + 1),
          "partition worker#" + worker,
          () -> network.partition(worker, durationMs));
    }
  }

  private static int workerCount(List<String> vertices) {
    int max = 1;
    for (String vertex : vertices) {
      max = Math.max(max, Workers.of(vertex) + 1);
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
