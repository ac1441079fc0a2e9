package dev.streamscope.runner;

import dev.streamscope.rstream.RStreamStore;
import dev.streamscope.translation.TranslatedJob;
import dev.streamscope.vertex.Job;
import dev.streamscope.vertex.VertexFailedException;
import io.vertx.core.Vertx;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.beam.runners.core.metrics.MetricsContainerStepMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricResults;
import org.apache.beam.sdk.util.UserCodeException;
import org.joda.time.Duration;

/**
 * A running or finished StreamScope job. When the job ends, its Vert.x instance and rStreams are
 * released; a failed job's {@link #waitUntilFinish} throws the user's exception wrapped in a
 * {@link Pipeline.PipelineExecutionException}, like the DirectRunner.
 */
public final class StreamScopePipelineResult implements PipelineResult {
  private final Job job;
  private final TranslatedJob translated;
  private final CompletableFuture<State> terminal;
  private final FailureInjector injector;

  StreamScopePipelineResult(
      Job job,
      TranslatedJob translated,
      Vertx vertx,
      RStreamStore streams,
      FailureInjector injector) {
    this.job = job;
    this.translated = translated;
    this.injector = injector;
    this.terminal =
        job.completion()
            .handle((ignored, error) -> error == null ? State.DONE : terminalStateOf(error))
            .thenCompose(
                state ->
                    (state == State.DONE ? closeThenFinalize(job, streams) : stopThenClose(job, streams))
                        .thenCompose(i -> vertx.close().toCompletionStage().handle((v, e) -> state))
                        .whenComplete((s, e) -> streams.close()));
  }

  /**
   * A finished job: its streams are closed first (persisted streams close through Vert.x, so
   * before it goes), which makes all they hold durable; then every vertex, still deployed, may
   * finalize what it left (a source's last checkpoint marks); then they are undeployed.
   */
  private static CompletionStage<Void> closeThenFinalize(Job job, RStreamStore streams) {
    return streams.closeAsync()
        .handle((v, e) -> null)
        .thenCompose(i -> job.finalizeFinished().handle((v, e) -> null))
        .thenCompose(i -> job.stop().handle((v, e) -> null));
  }

  /** A failed or cancelled job: its vertices are undeployed first, then its streams closed. */
  private static CompletionStage<Void> stopThenClose(Job job, RStreamStore streams) {
    return job.stop()
        .handle((v, e) -> null)
        .thenCompose(i -> streams.closeAsync().handle((v, e) -> null));
  }

  private static State terminalStateOf(Throwable error) {
    return error instanceof CancellationException ? State.CANCELLED : State.FAILED;
  }

  @Override
  public State getState() {
    if (terminal.isDone()) {
      return terminal.join();
    }
    if (job.completion().isDone()) {
      return job.completion().isCancelled()
          ? State.CANCELLED
          : job.completion().isCompletedExceptionally() ? State.FAILED : State.DONE;
    }
    return State.RUNNING;
  }

  @Override
  public State cancel() {
    job.cancel();
    return waitUntilFinish();
  }

  @Override
  public State waitUntilFinish(Duration duration) {
    try {
      State state =
          duration == null || duration.getMillis() <= 0
              ? terminal.get()
              : terminal.get(duration.getMillis(), TimeUnit.MILLISECONDS);
      throwIfFailed();
      return state;
    } catch (TimeoutException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    } catch (ExecutionException e) {
      throw new IllegalStateException("StreamScope job bookkeeping failed", e.getCause());
    }
  }

  @Override
  public State waitUntilFinish() {
    return waitUntilFinish(Duration.ZERO);
  }

  private void throwIfFailed() {
    CompletableFuture<Void> completion = job.completion();
    if (!completion.isCompletedExceptionally() || completion.isCancelled()) {
      return;
    }
    try {
      completion.join();
    } catch (Exception e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      // A user's exception is shown as it was thrown; a determinism violation with the vertex's
      // word on it (which stage to mark nondeterministic).
      if (cause instanceof VertexFailedException
          && cause.getCause() != null
          && !VertexFailedException.isDeterminismViolation(cause)) {
        cause = cause.getCause();
      }
      while (cause instanceof UserCodeException && cause.getCause() != null) {
        cause = cause.getCause();
      }
      throw new Pipeline.PipelineExecutionException(cause);
    }
  }

  /** The ids of the job's vertex instances ({@code <step>#<partition>}). */
  public java.util.List<String> vertexIds() {
    return job.vertexIds();
  }

  /**
   * Kills one vertex instance for real, as a crash would (its verticle is undeployed); the job
   * recovers it if its recovery strategy allows, else fails.
   */
  public void killVertex(String vertexId) {
    job.kill(vertexId);
  }

  /**
   * The snapshot version the current instance of {@code vertexId} started from (after a restart,
   * or when the job resumed), or 0 if it started from scratch.
   */
  public long restoredSnapshotVersion(String vertexId) {
    return job.restoredSnapshotVersion(vertexId);
  }

  /** The version of the newest snapshot the current instance of {@code vertexId} wrote, or 0. */
  public long writtenSnapshotVersion(String vertexId) {
    return job.writtenSnapshotVersion(vertexId);
  }

  /** Input events the current instance of {@code vertexId} has consumed (racy; for benchmarks). */
  public long consumedEvents(String vertexId) {
    return job.consumedEvents(vertexId);
  }

  /**
   * Input events published to the current instance of {@code vertexId} and not consumed yet: how
   * far it is behind its live input (racy; for benchmarks).
   */
  public long inputBacklogEvents(String vertexId) {
    return job.inputBacklogEvents(vertexId);
  }

  /**
   * Whether the current instance of {@code vertexId} has started (restored its snapshot, if any,
   * and consumes its input).
   */
  public boolean vertexBegun(String vertexId) {
    return job.vertexBegun(vertexId);
  }

  /** How many vertex restarts the job needed so far (injected kills included). */
  public int restarts() {
    return job.restarts();
  }

  /** How many kills {@code --injectVertexFailures} planned (0 when off or without streams). */
  public int plannedInjectedKills() {
    return injector.planned();
  }

  /**
   * The kills {@code --injectVertexFailures} made so far, in order, one line each: the victim
   * vertex and the event it died at (replay: same pipeline, same {@code
   * --failureInjectionSeed}).
   */
  public java.util.List<String> injectedKills() {
    return injector.kills().stream().map(Object::toString).toList();
  }

  @Override
  public MetricResults metrics() {
    // Attempted: every vertex instance's work, redone work included; committed: what the current
    // instance of each vertex stands for (see JobMetrics).
    return MetricsContainerStepMap.asMetricResults(
        translated.attemptedMetrics(), translated.committedMetrics());
  }
}
