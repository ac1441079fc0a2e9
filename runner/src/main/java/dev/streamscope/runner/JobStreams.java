package dev.streamscope.runner;

import dev.streamscope.rstream.InMemoryRStreamStore;
import dev.streamscope.rstream.RStream;
import dev.streamscope.rstream.RStreamStore;
import dev.streamscope.rstream.persist.HadoopRStreamStore;
import dev.streamscope.rstream.persist.PersistenceStrategy;
import dev.streamscope.rstream.persist.RStreamFileSystems;
import dev.streamscope.rstream.persist.RStreamOptions;
import dev.streamscope.rstream.persist.RegenerationHook;
import dev.streamscope.rstream.segment.FlushMode;
import dev.streamscope.rstream.segment.PayloadFormat;
import dev.streamscope.vertex.Job;
import dev.streamscope.vertex.RecoveryStrategy;
import dev.streamscope.vertex.graph.JobGraph;
import dev.streamscope.vertex.graph.StageSpec;
import dev.streamscope.vertex.snapshot.FileSystemSnapshotStore;
import dev.streamscope.vertex.snapshot.InMemorySnapshotStore;
import dev.streamscope.vertex.snapshot.SnapshotStore;
import dev.streamscope.vertex.vertx.VertxStreamIo;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rStreams and snapshots of one job, as the options say: in memory ({@code
 * --rstreamPersistence=memory-only}) or persisted under {@code <rstreamRoot>/<jobId>/} (hybrid, the
 * default, or synchronous; snapshots in its {@code .snapshots/}; the job id is a new random UUID
 * per run unless {@code --jobId} names one) through the Hadoop {@code FileSystem} of the root URI,
 * with the blocking calls on a Vert.x worker pool.
 *
 * <p>When the job ends, {@link #closeAsync()} persists what is pending and closes the files; then
 * the job's directory is deleted if the job succeeded or was cancelled, unless {@code
 * --keepRstreams}; a failed job's directory is kept (and logged) for {@code streamscope inspect}.
 */
final class JobStreams implements RStreamStore {
  private static final Logger LOG = LoggerFactory.getLogger(JobStreams.class);
  /** The snapshot directory under the job's; a leading '.' keeps it apart from stream directories. */
  private static final String SNAPSHOTS_DIR = ".snapshots";
  /** Snapshot versions kept per vertex (the newest stable one is always among them). */
  private static final int SNAPSHOT_VERSIONS_KEPT = 3;

  private final Function<String, PersistenceStrategy> persistenceOfStage;
  private final InMemoryRStreamStore memory = new InMemoryRStreamStore(true);
  private final Map<PersistenceStrategy, HadoopRStreamStore> persisted;
  private final FileSystem fs;
  private final Path jobDir;
  private final VertxStreamIo io;
  private final boolean keep;
  private final SnapshotStore snapshots;
  private final AtomicBoolean closing = new AtomicBoolean();
  private final AtomicReference<Job> job;

  private JobStreams(
      Function<String, PersistenceStrategy> persistenceOfStage,
      Map<PersistenceStrategy, HadoopRStreamStore> persisted,
      FileSystem fs,
      Path jobDir,
      VertxStreamIo io,
      boolean keep,
      SnapshotStore snapshots,
      AtomicReference<Job> job) {
    this.job = job;
    this.persistenceOfStage = persistenceOfStage;
    this.persisted = persisted;
    this.fs = fs;
    this.jobDir = jobDir;
    this.io = io;
    this.keep = keep;
    this.snapshots = snapshots;
  }

  /**
   * The stores the options ask for: each stage's output streams are persisted as its recovery
   * strategy implies ({@link RecoveryStrategy#streamPersistence}). Released events stay readable (in memory, or in
   * segments not deleted on release): a restarted vertex reads its inputs again from its
   * snapshot's positions, or from the start under recompute; each vertex garbage-collects its
   * inputs below its newest stable snapshot itself.
   *
   * <p>If {@code --jobId} names a job whose directory exists under {@code --rstreamRoot} (its
   * process died), the job resumes: its streams are recovered from their segments and its
   * vertices restore their snapshots.
   */
  static JobStreams create(
      StreamScopePipelineOptions options,
      Vertx vertx,
      JobGraph graph,
      Function<String, RecoveryStrategy> strategyOfStage) {
    PersistenceStrategy configured = PersistenceStrategy.parse(options.getRstreamPersistence());
    Function<String, PersistenceStrategy> persistenceOfStage =
        stage -> strategyOfStage.apply(stage).streamPersistence(configured);
    Set<PersistenceStrategy> needed = EnumSet.noneOf(PersistenceStrategy.class);
    for (StageSpec stage : graph.stages()) {
      needed.add(persistenceOfStage.apply(stage.id()));
    }
    needed.remove(PersistenceStrategy.MEMORY_ONLY);
    AtomicReference<Job> job = new AtomicReference<>();
    if (needed.isEmpty()) {
      return new JobStreams(
          persistenceOfStage, Map.of(), null, null, null, false,
          new InMemorySnapshotStore(SNAPSHOT_VERSIONS_KEPT), job);
    }
    // Tier 3 of the reads: a lost, unpersisted tail is written again by its producer.
    RegenerationHook regeneration =
        (streamId, producer, fromSeq) -> {
          Job running = job.get();
          if (running != null) {
            running.regenerate(producer);
          }
        };
    URI root = URI.create(options.getRstreamRoot());
    String jobId = options.getJobId().isEmpty() ? UUID.randomUUID().toString() : options.getJobId();
    FileSystem fs;
    Path jobDir;
    boolean resume;
    try {
      fs = RStreamFileSystems.forUri(root);
      jobDir = new Path(new Path(root), jobId);
      resume = fs.exists(jobDir);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot open the rStream root " + root + ": " + e.getMessage(), e);
    }
    VertxStreamIo io =
        new VertxStreamIo(
            vertx, "streamscope-rstream-io", Math.max(2, Runtime.getRuntime().availableProcessors()));
    Map<PersistenceStrategy, HadoopRStreamStore> persisted = new EnumMap<>(PersistenceStrategy.class);
    for (PersistenceStrategy strategy : needed) {
      RStreamOptions streamOptions =
          RStreamOptions.defaults()
              .withStrategy(strategy)
              .withFlushMode(FlushMode.parse(options.getRstreamFlushMode()))
              .withBatch(RStreamOptions.defaults().batchBytesMax(), options.getRstreamFlushIntervalMs())
              .withMemoryBytesMax(options.getRstreamMemoryBytesMax())
              .withGcOnRelease(false);
      persisted.put(strategy, new HadoopRStreamStore(fs, jobDir, streamOptions, io, regeneration));
    }
    if (resume) {
      LOG.info("Job {} exists in {}: resuming it from its rStreams and snapshots", jobId, jobDir);
      try {
        for (Map.Entry<PersistenceStrategy, HadoopRStreamStore> store : persisted.entrySet()) {
          Map<String, String> producers = new LinkedHashMap<>();
          graph.streamProducers().forEach((stream, producer) -> {
            if (persistenceOfStage.apply(JobGraph.stageOf(producer)) == store.getKey()) {
              producers.put(stream, producer);
            }
          });
          store.getValue().recoverExisting(producers).toCompletableFuture().join();
        }
      } catch (java.util.concurrent.CompletionException e) {
        throw new IllegalStateException(
            "Cannot resume job " + jobId + " from " + jobDir + ": " + e.getCause().getMessage(), e.getCause());
      }
    }
    return new JobStreams(
        persistenceOfStage, persisted, fs, jobDir, io, options.getKeepRstreams(),
        new FileSystemSnapshotStore(fs, new Path(jobDir, SNAPSHOTS_DIR), SNAPSHOT_VERSIONS_KEPT),
        job);
  }

  /** Where the vertices' snapshots are kept: in the job's directory, or in memory. */
  SnapshotStore snapshots() {
    return snapshots;
  }

  /** How each stream's payloads are encoded, stored with persisted streams for inspection. */
  void describePayloads(Function<String, PayloadFormat> formats) {
    for (HadoopRStreamStore store : persisted.values()) {
      store.describePayloads(formats);
    }
  }

  /** The job whose outcome decides whether its directory is kept. */
  void attach(Job job) {
    this.job.set(job);
  }

  /** Where the job's rStreams are persisted, or null if they are all in memory. */
  Path jobDir() {
    return jobDir;
  }

  @Override
  public RStream open(String streamId, String producer) {
    HadoopRStreamStore store = persisted.get(persistenceOfStage.apply(JobGraph.stageOf(producer)));
    return store != null ? store.open(streamId, producer) : memory.open(streamId, producer);
  }

  @Override
  public CompletionStage<Void> closeAsync() {
    if (!closing.compareAndSet(false, true)) {
      return CompletableFuture.completedFuture(null);
    }
    memory.close();
    if (persisted.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    Job finished = job.get();
    boolean failed =
        finished == null
            || finished.completion().isCompletedExceptionally() && !finished.completion().isCancelled();
    List<CompletableFuture<Void>> closes = new ArrayList<>();
    for (HadoopRStreamStore store : persisted.values()) {
      closes.add(store.closeAsync().toCompletableFuture());
    }
    return CompletableFuture.allOf(closes.toArray(new CompletableFuture[0]))
        .thenCompose(
            ignored -> {
              if (failed || keep) {
                if (failed) {
                  LOG.warn("The job failed; its rStreams are kept in {} (streamscope inspect {})", jobDir, jobDir);
                }
                return CompletableFuture.completedFuture(null);
              }
              // Every store shares the job directory: deleting it once deletes them all.
              return persisted.values().iterator().next().deleteAsync();
            })
        .handle(
            (ignored, error) -> {
              if (error != null) {
                LOG.warn("Closing the rStreams in {} failed: {}", jobDir, error.toString());
              }
              return null;
            })
        .thenCompose(
            ignored ->
                io.executeBlocking(
                    () -> {
                      fs.close();
                      return null;
                    }))
        .handle((ignored, error) -> null);
  }

  /** Called once everything stopped: closes what {@link #closeAsync()} could not. */
  @Override
  public void close() {
    memory.close();
    if (closing.compareAndSet(false, true)) {
      for (HadoopRStreamStore store : persisted.values()) {
        store.close();
      }
    }
  }
}
