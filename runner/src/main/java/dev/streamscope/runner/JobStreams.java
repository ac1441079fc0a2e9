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
import dev.streamscope.vertex.Job;
import dev.streamscope.vertex.vertx.VertxStreamIo;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rStreams of one job, as the options say: in memory ({@code --rstreamPersistence=memory-only})
 * or persisted under {@code <rstreamRoot>/<jobId>/} (hybrid, the default, or synchronous; the job
 * id is a new random UUID per run unless {@code --jobId} names one) through
 * the Hadoop {@code FileSystem} of the root URI, with the blocking calls on a Vert.x worker pool.
 *
 * <p>When the job ends, {@link #closeAsync()} persists what is pending and closes the files; then
 * the job's directory is deleted if the job succeeded or was cancelled, unless {@code
 * --keepRstreams}; a failed job's directory is kept (and logged) for {@code streamscope inspect}.
 */
final class JobStreams implements RStreamStore {
  private static final Logger LOG = LoggerFactory.getLogger(JobStreams.class);

  private final RStreamStore memory;
  private final HadoopRStreamStore persisted;
  private final FileSystem fs;
  private final VertxStreamIo io;
  private final boolean keep;
  private final AtomicBoolean closing = new AtomicBoolean();
  private volatile Job job;

  private JobStreams(
      RStreamStore memory, HadoopRStreamStore persisted, FileSystem fs, VertxStreamIo io, boolean keep) {
    this.memory = memory;
    this.persisted = persisted;
    this.fs = fs;
    this.io = io;
    this.keep = keep;
  }

  /**
   * The store the options ask for. {@code retainReleased}: a restarted vertex reads its inputs
   * again from the start (recompute), so nothing may be dropped when its reader releases it.
   */
  static JobStreams create(StreamScopePipelineOptions options, Vertx vertx, boolean retainReleased) {
    PersistenceStrategy strategy = PersistenceStrategy.parse(options.getRstreamPersistence());
    if (strategy == PersistenceStrategy.MEMORY_ONLY) {
      return new JobStreams(new InMemoryRStreamStore(retainReleased), null, null, null, false);
    }
    RStreamOptions streamOptions =
        RStreamOptions.defaults()
            .withStrategy(strategy)
            .withFlushMode(FlushMode.parse(options.getRstreamFlushMode()))
            .withBatch(RStreamOptions.defaults().batchBytesMax(), options.getRstreamFlushIntervalMs())
            .withMemoryBytesMax(options.getRstreamMemoryBytesMax())
            .withGcOnRelease(!retainReleased);
    URI root = URI.create(options.getRstreamRoot());
    String jobId = options.getJobId().isEmpty() ? UUID.randomUUID().toString() : options.getJobId();
    FileSystem fs;
    Path jobDir;
    try {
      fs = RStreamFileSystems.forUri(root);
      jobDir = new Path(new Path(root), jobId);
      if (fs.exists(jobDir)) {
        fs.close();
        throw new IllegalArgumentException(
            "Invalid option --jobId=" + jobId + ": " + jobDir
                + " already exists (resuming a job is not supported yet); choose another job id");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot open the rStream root " + root + ": " + e.getMessage(), e);
    }
    VertxStreamIo io =
        new VertxStreamIo(
            vertx, "streamscope-rstream-io", Math.max(2, Runtime.getRuntime().availableProcessors()));
    HadoopRStreamStore persisted =
        new HadoopRStreamStore(fs, jobDir, streamOptions, io, RegenerationHook.NONE);
    return new JobStreams(null, persisted, fs, io, options.getKeepRstreams());
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
