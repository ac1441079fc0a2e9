package dev.streamscope.vertex;

import dev.streamscope.rstream.RStreamStore;
import dev.streamscope.vertex.graph.JobGraph;
import dev.streamscope.vertex.vertx.VertxVertexLauncher;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs a test's jobs on Vert.x: a fresh Vert.x instance for each test (so no vertex of one test
 * outlives it into the next), closed after the test's own {@code @AfterEach} methods (which may
 * still have to release a blocked vertex). Use as {@code @RegisterExtension final VertxJobs jobs
 * = new VertxJobs();}.
 */
final class VertxJobs implements BeforeEachCallback, AfterEachCallback {
  /** How long a job may take to complete; a test that waits longer has hung. */
  static final long COMPLETION_SECONDS_MAX = 60;
  /** How long stopping a job or Vert.x may take. */
  static final long STOP_SECONDS_MAX = 30;

  private Vertx vertx;

  @Override
  public void beforeEach(ExtensionContext context) {
    vertx = Vertx.vertx();
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(STOP_SECONDS_MAX, TimeUnit.SECONDS);
  }

  /** This test's Vert.x instance (for stream I/O on it). */
  Vertx vertx() {
    return vertx;
  }

  /** Starts {@code graph} without recovery, its vertices on this test's Vert.x. */
  Job start(JobGraph graph, RStreamStore streams, VertexConfig config) {
    return start(graph, streams, config, RecoveryConfig.none());
  }

  /** Starts {@code graph}, its vertices on this test's Vert.x. */
  Job start(JobGraph graph, RStreamStore streams, VertexConfig config, RecoveryConfig recovery) {
    return Job.start(graph, streams, new VertxVertexLauncher(vertx), config, recovery);
  }

  /** Starts {@code graph} without recovery and {@link #complete}s it. */
  Job run(JobGraph graph, RStreamStore streams, VertexConfig config) throws Exception {
    Job job = start(graph, streams, config);
    complete(job);
    return job;
  }

  /** Waits until {@code job} completes, then stops it; also if it failed (then throws that). */
  static void complete(Job job) throws Exception {
    try {
      awaitCompletion(job);
    } finally {
      stop(job);
    }
  }

  /** Waits until {@code job} completes; throws its failure. */
  static void awaitCompletion(Job job) throws Exception {
    job.completion().get(COMPLETION_SECONDS_MAX, TimeUnit.SECONDS);
  }

  static void stop(Job job) throws Exception {
    job.stop().get(STOP_SECONDS_MAX, TimeUnit.SECONDS);
  }
}
