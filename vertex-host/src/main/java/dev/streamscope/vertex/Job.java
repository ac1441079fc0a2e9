package dev.streamscope.vertex;

import dev.streamscope.rstream.RStream;
import dev.streamscope.rstream.RStreamStore;
import dev.streamscope.vertex.graph.EdgeKind;
import dev.streamscope.vertex.graph.InputSpec;
import dev.streamscope.vertex.graph.JobGraph;
import dev.streamscope.vertex.graph.StageSpec;
import dev.streamscope.vertex.seams.VertexLauncher;
import dev.streamscope.vertex.snapshot.SnapshotStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A running job: one {@link VertexInstance} per partition of every stage, joined by one rStream
 * per (producer partition, consumer partition) pair of each edge, so every stream has exactly one
 * writer and one reader.
 *
 * <p>The job finishes when every vertex finished. A vertex that fails (or is killed) is restarted
 * in place, up to {@link RecoveryConfig#restartsMax()} times: a fresh instance of its operator
 * restores its newest snapshot (checkpoint strategies) or, without one, starts from scratch
 * (recompute), reads its inputs from the snapshot's positions (or the start) and rewrites its
 * outputs from the snapshot's seqs (or 0), which the streams' uniqueness absorbs until it passes
 * where the failed instance stopped. Past that budget the job fails, and cancels the others. A
 * vertex of a {@link StageSpec#nondeterministic() nondeterministic} stage exposes its outputs only
 * once a snapshot holds them (strong productions, see {@link VertexInstance}), so its replays never
 * contradict them; a determinism violation of any other stage fails the job with advice to mark it.
 *
 * <p>Starting a job over the streams and snapshots of an earlier run of it (same job directory,
 * its process killed) resumes it the same way: each vertex restores the newest snapshot its
 * durable outputs can continue from.
 */
public final class Job {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Job.class);
  /** One vertex instance position of the graph and the instance currently filling it. */
  private final class Slot {
    final StageSpec stage;
    final int partition;
    final String vertexId;
    VertexInstance instance;
    VertexLauncher.Launched handle;
    int restarts;
    /** The latest failure of the vertex's own (a kill comes from outside), or null. */
    Throwable ownFailure;

    Slot(StageSpec stage, int partition) {
      this.stage = stage;
      this.partition = partition;
      this.vertexId = stage.id() + "#" + partition;
    }
  }

  private final JobGraph graph;
  private final RStreamStore streams;
  private final VertexLauncher launcher;
  private final VertexConfig config;
  private final RecoveryConfig recovery;
  private final CompletableFuture<Void> completion = new CompletableFuture<>();
  private final Map<String, Slot> slots = new LinkedHashMap<>();
  private final AtomicInteger running = new AtomicInteger();
  private boolean stopped; // guarded by this: launches completing after stop() undeploy at once
  private final AtomicInteger restartsTotal = new AtomicInteger();

  private Job(
      JobGraph graph,
      RStreamStore streams,
      VertexLauncher launcher,
      VertexConfig config,
      RecoveryConfig recovery) {
    this.graph = graph;
    this.streams = streams;
    this.launcher = launcher;
    this.config = config;
    this.recovery = recovery;
  }

  /** Wires {@code graph} over {@code streams} and launches every vertex instance; no recovery. */
  public static Job start(
      JobGraph graph, RStreamStore streams, VertexLauncher launcher, VertexConfig config) {
    return start(graph, streams, launcher, config, RecoveryConfig.none());
  }

  /** Wires {@code graph} over {@code streams} and launches every vertex instance. */
  public static Job start(
      JobGraph graph,
      RStreamStore streams,
      VertexLauncher launcher,
      VertexConfig config,
      RecoveryConfig recovery) {
    Job job = new Job(graph, streams, launcher, config, recovery);
    for (StageSpec stage : graph.stages()) {
      if (stage.nondeterministic() && recovery.snapshots() == null) {
        LOG.info(
            "Stage {} is nondeterministic but the job keeps no snapshots: its outputs are exposed"
                + " before they are persisted, and a replay after a failure may fail the job",
            stage.id());
      }
      for (int p = 0; p < stage.parallelism(); p++) {
        Slot slot = job.new Slot(stage, p);
        job.slots.put(slot.vertexId, slot);
      }
    }
    job.running.set(job.slots.size());
    for (Slot slot : job.slots.values()) {
      job.launch(slot);
    }
    return job;
  }

  private synchronized void launch(Slot slot) {
    VertexInstance instance = wire(slot.stage, slot.partition);
    slot.instance = instance;
    launcher
        .launch(slot.vertexId, executor -> () -> instance.start(executor))
        .whenComplete(
            (handle, error) -> {
              if (error != null) {
                onVertexDone(instance, error);
                return;
              }
              synchronized (this) {
                if (slot.instance == instance && !stopped) {
                  slot.handle = handle;
                } else {
                  handle.stop(); // Replaced, or the job stopped, before its launch completed.
                }
              }
            });
  }

  private VertexInstance wire(StageSpec stage, int partition) {
    List<InputMerger.Channel> channels = new ArrayList<>();
    for (int i = 0; i < stage.inputs().size(); i++) {
      InputSpec input = stage.inputs().get(i);
      StageSpec producer = graph.stage(input.producerStage());
      List<Integer> fromPartitions = new ArrayList<>();
      if (input.kind() == EdgeKind.FORWARD) {
        fromPartitions.add(partition);
      } else {
        for (int from = 0; from < producer.parallelism(); from++) {
          fromPartitions.add(from);
        }
      }
      for (int from : fromPartitions) {
        String id =
            JobGraph.streamId(
                producer.id(), input.producerOutput(), from, stage.id(), i, partition);
        channels.add(new InputMerger.Channel(streams.open(id, producer.id() + "#" + from), i));
      }
    }
    List<List<OutputRouter.Target>> targets = new ArrayList<>();
    List<List<JobGraph.Consumer>> consumersByOutput = graph.consumers(stage.id());
    for (int o = 0; o < stage.outputCount(); o++) {
      List<OutputRouter.Target> outputTargets = new ArrayList<>();
      for (JobGraph.Consumer consumer : consumersByOutput.get(o)) {
        RStream[] consumerStreams = new RStream[consumer.stage().parallelism()];
        for (int to = 0; to < consumerStreams.length; to++) {
          if (consumer.kind() == EdgeKind.FORWARD && to != partition) {
            continue;
          }
          String id =
              JobGraph.streamId(stage.id(), o, partition, consumer.stage().id(), consumer.input(), to);
          consumerStreams[to] = streams.open(id, stage.id() + "#" + partition);
        }
        outputTargets.add(new OutputRouter.Target(consumer.kind(), consumerStreams));
      }
      targets.add(outputTargets);
    }
    Operator operator = stage.operatorFactory().apply(partition);
    SnapshotStore snapshots = recovery.snapshotsStage(stage) ? recovery.snapshots() : null;
    // Strong productions need snapshots to hold the outputs in: an operator without them cannot.
    boolean holdOutputs =
        stage.nondeterministic() && snapshots != null && operator.snapshotsSupported();
    if (stage.nondeterministic() && snapshots != null && !holdOutputs && partition == 0) {
      LOG.warn(
          "Stage {} is nondeterministic but cannot be snapshotted: its outputs are exposed before"
              + " they are persisted, and a replay after a failure may fail the job",
          stage.id());
    }
    return new VertexInstance(
        stage.id(),
        partition,
        stage.parallelism(),
        operator,
        new InputMerger(channels, stage.inputs().size(), holdOutputs),
        new OutputRouter(targets, partition, holdOutputs),
        config,
        snapshots,
        recovery.checkpointIntervalMs(),
        this::onVertexDone);
  }

  private void onVertexDone(VertexInstance vertex, Throwable error) {
    if (error == null) {
      if (running.decrementAndGet() == 0) {
        completion.complete(null);
      }
      return;
    }
    Slot slot;
    boolean restart;
    Throwable cause;
    synchronized (this) {
      slot = slots.get(vertex.vertexId());
      if (slot.instance != vertex || completion.isDone()) {
        return; // A replaced instance, or the job already ended.
      }
      if (!(error instanceof VertexKilledException)) {
        slot.ownFailure = error;
      }
      // Out of restarts, the job fails with what made the vertex fail, not with a kill that came
      // last (a user's exception retried while kills are injected must be the one reported).
      cause = slot.ownFailure != null ? slot.ownFailure : error;
      // A replay that differs would differ again: a determinism violation is not retried.
      restart =
          slot.restarts < recovery.restartsMax()
              && !VertexFailedException.isDeterminismViolation(error)
              && !stopped; // A stopped job starts nothing more.
      if (restart) {
        slot.restarts++;
        restartsTotal.incrementAndGet();
        VertexLauncher.Launched old = slot.handle;
        slot.handle = null;
        if (old != null) {
          old.stop();
        }
        launch(slot);
      }
    }
    if (!restart
        && completion.completeExceptionally(
            new VertexFailedException(vertex.vertexId(), cause, adviceOn(slot.stage, cause)))) {
      cancelVertices();
    }
  }

  /** What the user may do about {@code error} of a vertex of {@code stage}, or "". */
  private static String adviceOn(StageSpec stage, Throwable error) {
    if (!VertexFailedException.isDeterminismViolation(error) || stage.nondeterministic()) {
      return "";
    }
    return "A replay of stage " + stage.id() + " wrote another value than the run before it. If"
        + " the stage is nondeterministic by design (random numbers, wall-clock time, external"
        + " reads), mark it so (the runner's --nondeterministicSteps): its outputs are then"
        + " persisted before they are exposed, and a replay never contradicts them";
  }


  /**
   * Kills vertex {@code vertexId} for real: stops its instance where it is and undeploys it (its
   * verticle, in production), exactly as if it had crashed; the job then recovers it like any
   * failed vertex.
   */
  public void kill(String vertexId) {
    VertexInstance victim;
    synchronized (this) {
      Slot slot = slots.get(vertexId);
      if (slot == null) {
        throw new IllegalArgumentException("No vertex " + vertexId + "; vertices: " + slots.keySet());
      }
      victim = slot.instance;
    }
    if (!victim.kill()) {
      throw new IllegalStateException("Vertex " + vertexId + " is not running");
    }
    onVertexDone(victim, new VertexKilledException(vertexId));
  }

  /**
   * The snapshot version the current instance of {@code vertexId} restored, or 0 if it started
   * from scratch (or has not started yet).
   */
  public synchronized long restoredSnapshotVersion(String vertexId) {
    return slots.get(vertexId).instance.restoredVersion();
  }

  /** The version of the newest snapshot the current instance of {@code vertexId} wrote, or 0. */
  public synchronized long writtenSnapshotVersion(String vertexId) {
    return slots.get(vertexId).instance.writtenVersion();
  }

  /**
   * Input events the current instance of {@code vertexId} has consumed (its position summed over
   * its input streams; a restored instance starts at its snapshot's). Read racily: for progress
   * displays and benchmarks.
   */
  public synchronized long consumedEvents(String vertexId) {
    return slots.get(vertexId).instance.consumedEvents();
  }

  /**
   * Input events published to the current instance of {@code vertexId} that it has not consumed
   * yet: how far it is behind its live input. Read racily: for progress displays and benchmarks.
   */
  public synchronized long inputBacklogEvents(String vertexId) {
    return slots.get(vertexId).instance.inputBacklogEvents();
  }

  /**
   * Whether the current instance of {@code vertexId} has started: restored its snapshot (if any)
   * and consumes its input.
   */
  public synchronized boolean vertexBegun(String vertexId) {
    return slots.get(vertexId).instance.begun();
  }

  /**
   * Recomputes what vertex {@code vertexId} wrote, if it had finished: a reader found part of its
   * output gone (its worker's process died before persisting it, see {@code RegenerationHook}). A
   * fresh instance starts as a restarted one does, from its newest snapshot its outputs can
   * continue from (or from scratch), reads its inputs again from there and rewrites its outputs;
   * uniqueness absorbs what survived. A vertex that is still running, or restarting, writes the
   * lost part again anyway, so nothing is done for it. Does not count as a restart.
   */
  public void regenerate(String vertexId) {
    synchronized (this) {
      Slot slot = slots.get(vertexId);
      if (slot == null) {
        throw new IllegalArgumentException("No vertex " + vertexId + "; vertices: " + slots.keySet());
      }
      if (completion.isDone() || !slot.instance.isFinished() || TestHooks.ignoreRegeneration) {
        return;
      }
      running.incrementAndGet();
      VertexLauncher.Launched old = slot.handle;
      slot.handle = null;
      if (old != null) {
        old.stop();
      }
      launch(slot);
    }
  }

  /** The ids of the vertex instances, in stage order. */
  public synchronized List<String> vertexIds() {
    return List.copyOf(slots.keySet());
  }

  /** How many times vertices were restarted so far. */
  public int restarts() {
    return restartsTotal.get();
  }

  /** Completes when every vertex finished; exceptionally with the first vertex failure. */
  public CompletableFuture<Void> completion() {
    return completion;
  }

  /** Stops every vertex; {@link #completion()} completes with a {@link java.util.concurrent.CancellationException}. */
  public void cancel() {
    if (completion.cancel(false)) {
      cancelVertices();
    }
  }

  private synchronized void cancelVertices() {
    for (Slot slot : slots.values()) {
      slot.instance.cancel();
    }
  }

  /**
   * After the job finished and its streams were closed (durable), before {@link #stop}: lets
   * every vertex that finished tell its operator that everything it did is stable (Beam: finalize
   * a source's last checkpoint marks, run the last bundle finalization callbacks), which it would
   * otherwise do only once a later check found its outputs durable.
   */
  public CompletableFuture<Void> finalizeFinished() {
    List<CompletableFuture<Void>> finalizations = new ArrayList<>();
    synchronized (this) {
      for (Slot slot : slots.values()) {
        if (slot.instance.isFinished()) {
          finalizations.add(slot.instance.finalizeAtJobEnd());
        }
      }
    }
    return CompletableFuture.allOf(finalizations.toArray(new CompletableFuture[0]));
  }

  /**
   * Undeploys every vertex (after the job ended); a cancelled job's vertices first finish the
   * snapshot writes they had in flight, so a job resumed from its snapshots sees the last ones.
   */
  public CompletableFuture<Void> stop() {
    List<CompletableFuture<Void>> stops = new ArrayList<>();
    synchronized (this) {
      stopped = true;
      for (Slot slot : slots.values()) {
        // A stop cancels what still runs (a no-op for a finished instance): the job's own cancel
        // comes after completion's callbacks, and a runner stops the job in one of them. Also an
        // instance whose launch has not completed: it may be running, and writing.
        slot.instance.cancel();
        CompletableFuture<Void> settled = slot.instance.cancelSettled();
        VertexLauncher.Launched handle = slot.handle;
        stops.add(handle == null ? settled : settled.thenCompose(ignored -> handle.stop()));
      }
    }
    return CompletableFuture.allOf(stops.toArray(new CompletableFuture[0]));
  }
}
