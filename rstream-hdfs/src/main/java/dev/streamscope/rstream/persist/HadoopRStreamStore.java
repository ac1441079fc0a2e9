package dev.streamscope.rstream.persist;

import dev.streamscope.rstream.InMemoryRStream;
import dev.streamscope.rstream.RStream;
import dev.streamscope.rstream.RStreamStore;
import dev.streamscope.rstream.io.StreamIo;
import dev.streamscope.rstream.segment.CorruptSegmentException;
import dev.streamscope.rstream.segment.LeaseRecoveryPendingException;
import dev.streamscope.rstream.segment.PayloadFormat;
import dev.streamscope.rstream.segment.StreamDirs;
import dev.streamscope.rstream.segment.StreamInspector;
import dev.streamscope.rstream.segment.StreamLog;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rStreams of one job, persisted under {@code jobDir} (one directory per stream, see the
 * {@code segment} package) through the Hadoop {@code FileSystem} handed in: HDFS, the raw local
 * file system, or any other with {@code hflush}. All its I/O runs through the {@link StreamIo}.
 *
 * <p>{@link #open} creates a new stream without any I/O (its directory appears with its first
 * flush); {@link #recover} reopens a stream whose writer died, after scanning its segments.
 */
public final class HadoopRStreamStore implements RStreamStore {
  private final FileSystem fs;
  private final Path jobDir;
  private final RStreamOptions options;
  private final StreamIo io;
  private final RegenerationHook regeneration;
  private static final Logger LOG = LoggerFactory.getLogger(HadoopRStreamStore.class);
  /** HDFS usually recovers a lease within seconds; past this many polls, recovery fails. */
  private static final int LEASE_RECOVERY_ATTEMPTS_MAX = 100;
  /**
   * Transient I/O failures (HDFS retries within each call already) one recovery survives; with
   * the default backoff the last attempt starts about 6.5 s after the first.
   */
  static final int RECOVERY_IO_FAILURES_MAX = 10;

  private final ConcurrentHashMap<String, RStream> streams = new ConcurrentHashMap<>();
  private volatile Function<String, PayloadFormat> payloadFormats = streamId -> null;

  public HadoopRStreamStore(
      FileSystem fs, Path jobDir, RStreamOptions options, StreamIo io, RegenerationHook regeneration) {
    this.fs = fs;
    this.jobDir = jobDir;
    this.options = options;
    this.io = io;
    this.regeneration = regeneration;
  }

  public Path jobDir() {
    return jobDir;
  }

  public RStreamOptions options() {
    return options;
  }

  /** The directory of {@code streamId}'s segments. */
  public Path streamDir(String streamId) {
    return new Path(jobDir, StreamDirs.encode(streamId));
  }

  /**
   * Says how the payloads of each stream are encoded ({@code formats} returns null for a stream it
   * does not know): streams opened from now on write their {@link PayloadFormat} next to their
   * first segment, for {@code streamscope inspect --dump}.
   */
  public void describePayloads(Function<String, PayloadFormat> formats) {
    this.payloadFormats = formats;
  }

  /** A new, empty stream (or the one already open under this id). */
  @Override
  public RStream open(String streamId, String producer) {
    return streams.computeIfAbsent(streamId, id -> newStream(id, producer));
  }

  private RStream newStream(String streamId, String producer) {
    if (options.strategy() == PersistenceStrategy.MEMORY_ONLY) {
      return new InMemoryRStream(streamId, producer);
    }
    StreamLog log =
        StreamLog.create(
            fs,
            streamDir(streamId),
            streamId,
            options.flushMode(),
            options.segmentBytesMax(),
            payloadFormats.apply(streamId));
    return new PersistentRStream(streamId, producer, options, io, log, regeneration, 0, 0, false);
  }

  /**
   * Reopens {@code streamId} after its writer's process died: recovers its segments (sealed ones
   * from their index sidecars, the others scanned and verified; see {@link StreamLog#recover}),
   * truncates a torn tail, and completes with a stream whose durable, published and next seq are
   * the end of the intact records. Its writer counts as gone until it writes again.
   */
  public CompletionStage<PersistentRStream> recover(String streamId, String producer) {
    if (options.strategy() == PersistenceStrategy.MEMORY_ONLY) {
      return CompletableFuture.failedFuture(
          new IllegalStateException("a memory-only store has nothing to recover"));
    }
    RStream open = streams.get(streamId);
    if (open != null) {
      return CompletableFuture.completedFuture((PersistentRStream) open);
    }
    CompletableFuture<StreamLog> log = new CompletableFuture<>();
    recoverLog(streamId, log, 0, 0, options.retryDelayMsMin());
    return log.thenApply(
        recoveredLog -> {
          PersistentRStream recovered =
              new PersistentRStream(
                  streamId,
                  producer,
                  options,
                  io,
                  recoveredLog,
                  regeneration,
                  recoveredLog.floorSeq(),
                  recoveredLog.endSeq(),
                  true);
          RStream raced = streams.putIfAbsent(streamId, recovered);
          return raced == null ? recovered : (PersistentRStream) raced;
        });
  }

  /**
   * Recovers the log, retrying with the store's backoff ({@code retryDelayMsMin}, doubling up to
   * {@code retryDelayMsMax}) while HDFS recovers the leases of open segments, and after a
   * transient I/O failure (a failed listing, open or read: a whole attempt starts over). Corruption
   * is never retried, nor is anything but an {@link IOException}.
   *
   * @param leasePolls attempts so far that found a lease recovery pending
   * @param ioFailures attempts so far that failed with a transient I/O error
   */
  private void recoverLog(
      String streamId, CompletableFuture<StreamLog> result, int leasePolls, int ioFailures, long delayMs) {
    Path dir = streamDir(streamId);
    io.executeBlocking(
            () -> StreamLog.recover(fs, dir, streamId, options.flushMode(), options.segmentBytesMax()))
        .whenComplete(
            (log, error) -> {
              Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
              if (cause == null) {
                result.complete(log);
                return;
              }
              boolean leasePending = cause instanceof LeaseRecoveryPendingException;
              boolean transientIo =
                  cause instanceof IOException && !leasePending && !(cause instanceof CorruptSegmentException);
              int polls = leasePolls + (leasePending ? 1 : 0);
              int failures = ioFailures + (transientIo ? 1 : 0);
              if ((leasePending && polls < LEASE_RECOVERY_ATTEMPTS_MAX)
                  || (transientIo && failures < RECOVERY_IO_FAILURES_MAX)) {
                if (transientIo) {
                  LOG.warn(
                      "rStream {}: recovery failed (failure {} of at most {}), retrying in {} ms: {}",
                      streamId, failures, RECOVERY_IO_FAILURES_MAX, delayMs, cause.toString());
                }
                long nextDelayMs = Math.min(options.retryDelayMsMax(), delayMs * 2);
                io.setTimer(delayMs, () -> recoverLog(streamId, result, polls, failures, nextDelayMs));
              } else if (leasePending || transientIo) {
                result.completeExceptionally(
                    new IOException(
                        "Recovering rStream " + streamId + " failed: "
                            + (leasePending
                                ? "the lease recovery of a segment had not finished after " + polls + " polls"
                                : failures + " attempts failed")
                            + "; last error: " + cause,
                        cause));
              } else {
                result.completeExceptionally(cause);
              }
            });
  }

  /**
   * Recovers every stream of {@code producers} (stream id to producer) that has a directory under
   * the job directory, so that {@link #open} then returns it with its persisted events: how a
   * job whose process died resumes. Completes when all are recovered.
   */
  public CompletionStage<Void> recoverExisting(java.util.Map<String, String> producers) {
    return listStreams()
        .thenCompose(
            existing -> {
              List<CompletableFuture<PersistentRStream>> recoveries = new ArrayList<>();
              for (String streamId : existing) {
                String producer = producers.get(streamId);
                if (producer != null) {
                  recoveries.add(recover(streamId, producer).toCompletableFuture());
                }
              }
              return CompletableFuture.allOf(recoveries.toArray(new CompletableFuture[0]));
            });
  }

  /** The ids of the streams persisted under the job directory. */
  public CompletionStage<List<String>> listStreams() {
    return io.executeBlocking(
        () -> {
          List<String> ids = new ArrayList<>();
          FileStatus[] dirs;
          try {
            dirs = fs.listStatus(jobDir);
          } catch (FileNotFoundException e) {
            return ids;
          }
          for (FileStatus dir : dirs) {
            if (!dir.isDirectory()) {
              continue;
            }
            String name = dir.getPath().getName();
            if (name.startsWith(".")) {
              continue; // Not a stream (stream names escape a leading '.'): e.g. snapshots.
            }
            if (!StreamDirs.isHashed(name)) {
              ids.add(StreamDirs.decode(name));
              continue;
            }
            // A long id: it is in the header of each of its segments.
            for (StreamInspector.SegmentReport segment : StreamInspector.inspectStream(fs, dir.getPath()).segments()) {
              if (!segment.corrupt() && segment.scan().header() != null) {
                ids.add(segment.scan().header().streamId());
                break;
              }
            }
          }
          ids.sort(null);
          return ids;
        });
  }

  /** Starts closing every stream (see {@link #closeAsync()}); does not wait. */
  @Override
  public void close() {
    closeAsync();
  }

  @Override
  public CompletionStage<Void> closeAsync() {
    List<CompletableFuture<Void>> closing = new ArrayList<>();
    for (RStream stream : streams.values()) {
      if (stream instanceof PersistentRStream persistent) {
        closing.add(persistent.closeAsync().toCompletableFuture());
      }
    }
    return CompletableFuture.allOf(closing.toArray(new CompletableFuture[0]));
  }

  /** Deletes the job directory and everything in it; call it after {@link #closeAsync()}. */
  public CompletionStage<Void> deleteAsync() {
    return io.executeBlocking(
        () -> {
          fs.delete(jobDir, true);
          return null;
        });
  }
}
