package dev.streamscope.vertex.seams;

import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * Places vertex instances: gives each one its own {@link VertexExecutor} and starts it there.
 * Production deploys one Vert.x verticle per instance; the simulator places them on its loop.
 */
public interface VertexLauncher {
  /** A started vertex instance, as its launcher sees it. */
  interface Launched {
    /** Stops the instance (undeploys its verticle); pending tasks are dropped. */
    CompletionStage<Void> stop();
  }

  /**
   * Creates an executor for {@code vertexId}, then calls {@code start} on it (on that executor's
   * thread) with it.
   */
  CompletionStage<Launched> launch(String vertexId, Function<VertexExecutor, Runnable> start);
}
