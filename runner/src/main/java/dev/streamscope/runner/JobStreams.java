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
import dev.streamscope.vertex.snapshot.FileSystemSnapshotStore;
import dev.streamscope.vertex.snapshot.InMemorySnapshotStore;
import dev.streamscope.vertex.snapshot.SnapshotStore;
import dev.streamscope.vertex.vertx.VertxStreamIo;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
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

  private final RStreamStore memory;
  private final HadoopRStreamStore persisted;
  private final FileSystem fs;
  private final VertxStreamIo io;
  private final boolean keep;
  private final SnapshotStore snapshots;
  private final AtomicBoolean closing = new AtomicBoolean();
  private volatile Job job;

  private JobStreams(
      RStreamStore memory,
      HadoopRStreamStore persisted,
      FileSystem fs,
      VertxStreamIo io,
      boolean keep,
      SnapshotStore snapshots) {
    this.snapshots = snapshots;
    this.memory = memory;
    this.persisted = persisted;
    this.fs = fs;
    this.io = io;
    this.keep = keep;
  }

  /**
   * The store the options ask for. Released events stay readable (in memory, or in segments not
   * deleted on release): a restarted vertex reads its inputs again from its snapshot's positions,
   * or from the start under recompute; each vertex garbage-collects its inputs below its newest
   * stable snapshot itself.
   *
   * <p>If {@code --jobId} names a job whose directory exists under {@code --rstreamRoot} (its
   * process died), the job resumes: its streams are recovered from their segments and its
   * vertices restore their snapshots.
   */
  static JobStreams create(StreamScopePipelineOptions options, Vertx vertx, JobGraph graph) {
    PersistenceStrategy strategy = persistenceOf(options);
    if (strategy == PersistenceStrategy.MEMORY_ONLY) {
      return new JobStreams(
          new InMemoryRStreamStore(true), null, null, null, false, new InMemorySnapshotStore(SNAPSHOT_VERSIONS_KEPT));
    }
    RStreamOptions streamOptions =
        RStreamOptions.defaults()
            .withStrategy(strategy)
            .withFlushMode(FlushMode.parse(options.getRstreamFlushMode()))
            .withBatch(RStreamOptions.defaults().batchBytesMax(), options.getRstreamFlushIntervalMs())
            .withMemoryBytesMax(options.getRstreamMemoryBytesMax())
            .withGcOnRelease(false);
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
    HadoopRStreamStore persisted =
        new HadoopRStreamStore(fs, jobDir, streamOptions, io, RegenerationHook.NONE);
    if (resume) {
      LOG.info("Job {} exists in {}: resuming it from its rStreams and snapshots", jobId, jobDir);
      try {
        persisted.recoverExisting(graph.streamProducers()).toCompletableFuture().join();
      } catch (java.util.concurrent.CompletionException e) {
        throw new IllegalStateException(
            "Cannot resume job " + jobId + " from " + jobDir + ": " + e.getCause().getMessage(), e.getCause());
      }
    }
    return new JobStreams(
        null, persisted, fs, io, options.getKeepRstreams(),
        new FileSystemSnapshotStore(fs, new Path(jobDir, SNAPSHOTS_DIR), SNAPSHOT_VERSIONS_KEPT));
  }

  /**
   * How the streams are persisted: the recovery strategy decides where it implies one ({@code
   * persistent}: synchronously, before events are visible; {@code checkpoint-replay}: not at all,
   * a restarted vertex replays retained in-memory inputs from its checkpoint), else {@code
   * --rstreamPersistence} (hybrid by default).
   */
  static PersistenceStrategy persistenceOf(StreamScopePipelineOptions options) {
    switch (RecoveryStrategy.parse(options.getRecoveryStrategy())) {
      case PERSISTENT:
        return PersistenceStrategy.SYNCHRONOUS;
      case CHECKPOINT_REPLAY:
        return PersistenceStrategy.MEMORY_ONLY;
      default:
        return PersistenceStrategy.parse(options.getRstreamPersistence());
    }
  }

  /** Where the vertices' snapshots are kept: in the job's directory, or in memory. */
  SnapshotStore snapshots() {
    return snapshots;
  }

  /** How each stream's payloads are encoded, stored with persisted streams for inspection. */
  void describePayloads(Function<String, PayloadFormat> formats) {
    if (persisted != null) {
      persisted.describePayloads(formats);
    }
  }

  /** The job whose outcome decides whether its directory is kept. */
  void attach(Job job) {
    this.job = job;
  }

  /** Where the job's rStreams are persisted, or null for memory-only streams. */
  Path jobDir() {
    return persisted == null ? null : persisted.jobDir();
  }

  @Override
  public RStream open(String streamId, String producer) {
    return persisted != null ? persisted.open(streamId, producer) : memory.open(streamId, producer);
  }

  @Override
  public CompletionStage<Void> closeAsync() {
    if (!closing.compareAndSet(false, true)) {
      return CompletableFuture.completedFuture(null);
    }
    if (persisted == null) {
      memory.close();
      return CompletableFuture.completedFuture(null);
    }
    boolean failed = job == null || job.completion().isCompletedExceptionally() && !job.completion().isCancelled();
    return persisted
        .closeAsync()
        .thenCompose(
            ignored -> {
              if (failed || keep) {
                if (failed) {
                  LOG.warn(
                      "The job failed; its rStreams are kept in {} (streamscope inspect {})",
                      persisted.jobDir(), persisted.jobDir());
                }
                return CompletableFuture.completedFuture(null);
              }
              return persisted.deleteAsync();
            })
        .handle(
            (ignored, error) -> {
              if (error != null) {
                LOG.warn("Closing the rStreams in {} failed: {}", persisted.jobDir(), error.toString());
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
    if (persisted == null) {
      memory.close();
    } else if (closing.compareAndSet(false, true)) {
      persisted.close();
    }
  }
}
