package dev.streamscope.simulator;

import dev.streamscope.rstream.InMemoryRStreamStore;
import dev.streamscope.rstream.RStream;
import dev.streamscope.rstream.RStreamStore;
import dev.streamscope.rstream.persist.HadoopRStreamStore;
import dev.streamscope.rstream.persist.PersistenceStrategy;
import dev.streamscope.rstream.persist.RStreamOptions;
import dev.streamscope.rstream.persist.RegenerationHook;
import dev.streamscope.rstream.segment.CorruptSegmentException;
import dev.streamscope.vertex.snapshot.FileSystemSnapshotStore;
import dev.streamscope.vertex.snapshot.InMemorySnapshotStore;
import dev.streamscope.vertex.snapshot.SnapshotStore;
import dev.streamscope.vertex.graph.JobGraph;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.apache.hadoop.fs.Path;

/**
 * The rStreams of a simulated run, each reached through a {@link SimulatedStream} link that
 * records what it stores.
 *
 * <p>Memory-only streams live in one retaining in-memory store, which outlives every crash (the
 * simulation's workers share it). Persisted streams (hybrid or synchronous) live in the process
 * of their writer's worker: a {@link HadoopRStreamStore} over that process's {@link
 * SimulatedFileSystem} client and {@link SimulatedStreamIo}, on one {@link SimulatedStorage}
 * shared by all. When a worker's process dies ({@link #crashWorker}) its streams lose what was
 * in memory and what their files had not flushed; a new process recovers each from storage with
 * the product's own {@link HadoopRStreamStore#recover}, and a stream that comes back shorter than
 * what it had reported durable is recorded as a durability loss.
 */
final class SimulatedStreamStore implements RStreamStore {
  /** A worker's process: what dies with it. */
  private record Process(
      int worker,
      int generation,
      SimulatedFileSystem fs,
      SimulatedStreamIo io,
      Map<PersistenceStrategy, HadoopRStreamStore> stores,
      FileSystemSnapshotStore snapshots) {
    /** The process's store of streams persisted as {@code strategy} (one per strategy, as a job has). */
    HadoopRStreamStore store(PersistenceStrategy strategy) {
      return stores.get(strategy);
    }
  }

  private static final Path JOB_DIR = new Path("/streamscope/job");
  private static final Path SNAPSHOT_DIR = new Path(JOB_DIR, ".snapshots");
  /** As many snapshot versions per vertex as a real run keeps. */
  private static final int SNAPSHOT_VERSIONS_KEPT = 3;

  private final SimulationLoop loop;
  private final Probes probes;
  private final SimulatedNetwork network;
  private final RStreamOptions options;
  private final Function<String, PersistenceStrategy> persistenceOfStage;
  private final boolean snapshotsPersisted;
  private final SimulatedFileSystem.Knobs fsKnobs;
  private final LongSupplier ioLatencyMs;
  private final RegenerationHook regeneration;
  private final InMemoryRStreamStore memory = new InMemoryRStreamStore(true);
  private final InMemorySnapshotStore memorySnapshots = new InMemorySnapshotStore(SNAPSHOT_VERSIONS_KEPT);
  private final SimulatedStorage storage = new SimulatedStorage();
  private final Map<Integer, Process> processes = new TreeMap<>();
  private final Map<String, SimulatedStream> links = new TreeMap<>();
  private final Map<String, String> producers = new TreeMap<>();
  private final Map<String, StreamLog> logs = new TreeMap<>();
  private final List<String> durabilityLosses = new ArrayList<>();
  private Throwable recoveryFailure;

  /**
   * @param options how streams are persisted, but for their strategy: that is {@code
   *     persistenceOfStage}'s, by producing stage ({@link PersistenceStrategy#MEMORY_ONLY}: in
   *     memory). Persisted streams keep released events (a restarted reader starts over).
   * @param snapshotsPersisted snapshots are files in storage (some stage persists its streams, as
   *     a job keeps them in its directory then), else in memory
   */
  SimulatedStreamStore(
      SimulationLoop loop,
      Probes probes,
      SimulatedNetwork network,
      RStreamOptions options,
      Function<String, PersistenceStrategy> persistenceOfStage,
      boolean snapshotsPersisted,
      SimulatedFileSystem.Knobs fsKnobs,
      LongSupplier ioLatencyMs,
      RegenerationHook regeneration) {
    this.loop = loop;
    this.probes = probes;
    this.network = network;
    this.options = options.withGcOnRelease(false);
    this.persistenceOfStage = persistenceOfStage;
    this.snapshotsPersisted = snapshotsPersisted;
    this.fsKnobs = fsKnobs;
    this.ioLatencyMs = ioLatencyMs;
    this.regeneration = regeneration;
  }

  private PersistenceStrategy persistenceOf(String producerVertex) {
    return persistenceOfStage.apply(JobGraph.stageOf(producerVertex));
  }

  @Override
  public RStream open(String streamId, String producer) {
    SimulatedStream link = links.get(streamId);
    if (link == null) {
      int writer = Workers.of(producer);
      link =
          new SimulatedStream(
              streamId, writer, Workers.readerOf(streamId), network,
              logs.computeIfAbsent(streamId, id -> new StreamLog()));
      links.put(streamId, link);
      producers.put(streamId, producer);
      PersistenceStrategy persistence = persistenceOf(producer);
      probes.hit("opened a " + persistence.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-') + " stream");
      link.bind(
          persistence == PersistenceStrategy.MEMORY_ONLY
              ? memory.open(streamId, producer)
              : process(writer).store(persistence).open(streamId, producer));
    }
    return link;
  }

  private Process process(int worker) {
    return processes.computeIfAbsent(worker, w -> newProcess(w, 0));
  }

  private Process newProcess(int worker, int generation) {
    String name = "worker#" + worker + (generation == 0 ? "" : "." + generation);
    SimulatedFileSystem fs = new SimulatedFileSystem(storage, loop, probes, fsKnobs, name);
    SimulatedStreamIo io = new SimulatedStreamIo(loop, name, ioLatencyMs);
    Map<PersistenceStrategy, HadoopRStreamStore> stores = new java.util.EnumMap<>(PersistenceStrategy.class);
    for (PersistenceStrategy strategy : PersistenceStrategy.values()) {
      if (strategy != PersistenceStrategy.MEMORY_ONLY) {
        stores.put(strategy, new HadoopRStreamStore(fs, JOB_DIR, options.withStrategy(strategy), io, regeneration));
      }
    }
    return new Process(
        worker, generation, fs, io, stores, new FileSystemSnapshotStore(fs, SNAPSHOT_DIR, SNAPSHOT_VERSIONS_KEPT));
  }

  /**
   * Worker {@code worker}'s process died: with persisted streams, the streams it wrote lose their
   * memory and unflushed bytes and are recovered by a new process; {@code onRecovered} runs when
   * every one of them is back (at once for memory-only streams, which nothing loses).
   */
  void crashWorker(int worker, Runnable onRecovered) {
    if (!snapshotsPersisted) {
      onRecovered.run(); // Nothing is persisted: the job runs as one process, and memory stays.
      return;
    }
    Process dead = process(worker);
    Map<String, Written> lost = new TreeMap<>();
    links.forEach((id, link) -> {
      if (link.writerWorker() == worker && persistenceOf(producers.get(id)) != PersistenceStrategy.MEMORY_ONLY) {
        RStream live = link.live();
        lost.put(id, live == null ? new Written(0, 0) : new Written(live.durableSeq(), live.nextSeq()));
        link.unbind();
      }
    });
    dead.io().kill();
    dead.fs().crash();
    Process fresh = newProcess(worker, dead.generation() + 1);
    processes.put(worker, fresh);
    int[] pending = {lost.size()};
    if (pending[0] == 0) {
      onRecovered.run();
    }
    lost.forEach((id, written) -> recover(fresh, id, written, () -> {
      if (--pending[0] == 0) {
        onRecovered.run();
      }
    }));
  }

  /** What a stream had written and reported durable when its writer's process died. */
  private record Written(long durableSeq, long nextSeq) {}

  /**
   * Recovers one stream in {@code process} with the product's recovery, which retries transient
   * I/O errors itself. If it gives up, the stream stays down and the run fails with its error, as
   * a real job would.
   */
  private void recover(Process process, String id, Written written, Runnable done) {
    process.store(persistenceOf(producers.get(id))).recover(id, producers.get(id)).whenComplete((stream, error) -> {
      if (processes.get(process.worker()) != process) {
        return; // That process died too.
      }
      if (error != null) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof CorruptSegmentException) {
          durabilityLosses.add("stream " + id + ": recovery found a corrupt segment: " + cause.getMessage());
          return; // The stream stays down: its readers wait, and liveness fails the run too.
        }
        if (recoveryFailure == null) {
          recoveryFailure = cause;
        }
        return;
      }
      long recovered = stream.durableSeq();
      if (recovered < written.durableSeq()) {
        durabilityLosses.add(
            "stream " + id + " reported seqs below " + written.durableSeq() + " durable, but only "
                + recovered + " survived its writer's crash");
      }
      if (recovered < written.nextSeq()) {
        probes.hit("crash lost an unpersisted tail");
      }
      links.get(id).bind(stream);
      done.run();
    });
  }

  /**
   * Where vertices keep their snapshots: in memory with memory-only streams (nothing loses them,
   * as nothing loses those streams), else files in storage, written and read by the process of
   * the vertex's worker (a crash fails its calls in flight, as it does its streams').
   */
  SnapshotStore snapshots() {
    return new SnapshotStore() {
      private SnapshotStore of(String vertexId) {
        return snapshotsPersisted ? process(Workers.of(vertexId)).snapshots() : memorySnapshots;
      }

      @Override
      public int versionsKept() {
        return SNAPSHOT_VERSIONS_KEPT; // Both stores keep as many.
      }

      @Override
      public void write(String vertexId, long version, byte[] payload) throws IOException {
        of(vertexId).write(vertexId, version, payload);
        probes.hit("snapshot written");
      }

      @Override
      public List<Long> versions(String vertexId) throws IOException {
        List<Long> versions = of(vertexId).versions(vertexId);
        if (!versions.isEmpty()) {
          probes.hit("snapshot found at a start"); // Only restarted vertices have any.
        }
        return versions;
      }

      @Override
      public Optional<Snapshot> read(String vertexId, long version) throws IOException {
        return of(vertexId).read(vertexId, version);
      }
    };
  }

  /** Logs by stream id, sorted. */
  Map<String, StreamLog> logs() {
    return logs;
  }

  /** Why the product gave up recovering a stream after its writer's process died, or null. */
  Throwable recoveryFailure() {
    return recoveryFailure;
  }

  /** Events a crash lost although their stream had reported them durable, one line per stream. */
  List<String> durabilityLosses() {
    return durabilityLosses;
  }

  @Override
  public void close() {
    memory.close();
  }
}
