package dev.streamscope.vertex.vertx;

import dev.streamscope.vertex.seams.Clock;
import dev.streamscope.vertex.seams.VertexExecutor;
import dev.streamscope.vertex.seams.VertexLauncher;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.ThreadingModel;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * The production {@link VertexLauncher}: one worker verticle per vertex instance. A worker context
 * runs its tasks one at a time, like an event loop, but user code that blocks (a DoFn calling a
 * service) does not stall other vertices' event loop.
 */
public final class VertxVertexLauncher implements VertexLauncher {
  private final Vertx vertx;
  /**
   * The context deployments are made from: one of no verticle. Vert.x makes a verticle deployed
   * from another verticle's thread that verticle's child, so a replacement launched from the
   * thread of the vertex it replaces (a vertex failing, or killed, on its own thread) would be
   * refused while its parent is undeployed ("Could not be added as child of parent deployment"),
   * or undeployed along with it.
   */
  private final Context root;

  /** Create it off Vert.x threads (where the job is started), so its deployments have no parent. */
  public VertxVertexLauncher(Vertx vertx) {
    if (Context.isOnVertxThread()) {
      throw new IllegalStateException(
          "Create the VertxVertexLauncher off Vert.x threads: deployments made from a verticle's"
              + " context are that verticle's children");
    }
    this.vertx = vertx;
    this.root = vertx.getOrCreateContext();
  }

  @Override
  public CompletionStage<Launched> launch(
      String vertexId, Function<VertexExecutor, Runnable> start) {
    VertexVerticle verticle = new VertexVerticle(start);
    Promise<String> deployed = Promise.promise();
    root.runOnContext(
        ignored ->
            vertx
                .deployVerticle(
                    verticle, new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER))
                .onComplete(deployed));
    return deployed
        .future()
        .<Launched>map(deploymentId -> () -> vertx.undeploy(deploymentId).toCompletionStage())
        .toCompletionStage();
  }

  private static final class VertexVerticle extends VerticleBase {
    private final Function<VertexExecutor, Runnable> start;

    VertexVerticle(Function<VertexExecutor, Runnable> start) {
      this.start = start;
    }

    @Override
    public Future<?> start() {
      // The vertex's first turn runs after the deployment completed: user code must not hold
      // up (or outlive) the deployment itself.
      Runnable vertexStart = start.apply(new ContextExecutor(context));
      context.runOnContext(ignored -> vertexStart.run());
      return Future.succeededFuture();
    }
  }

  /** A {@link VertexExecutor} over one Vert.x context. */
  private static final class ContextExecutor implements VertexExecutor {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final Context context;

    ContextExecutor(Context context) {
      this.context = context;
    }

    @Override
    public long nowMillis() {
      return Clock.SYSTEM.nowMillis();
    }

    @Override
    public long threadCpuNanos() {
      return THREADS.isCurrentThreadCpuTimeSupported()
          ? THREADS.getCurrentThreadCpuTime()
          : System.nanoTime();
    }

    @Override
    public void execute(Runnable task) {
      context.runOnContext(ignored -> task.run());
    }

    @Override
    public long setTimer(long delayMs, Runnable task) {
      return context
          .owner()
          .setTimer(Math.max(1, delayMs), id -> context.runOnContext(ignored -> task.run()));
    }

    @Override
    public void cancelTimer(long timerId) {
      context.owner().cancelTimer(timerId);
    }

    @Override
    public <T> CompletionStage<T> executeBlocking(Callable<T> task) {
      return context.executeBlocking(task, false).toCompletionStage();
    }
  }
}
