package dev.streamscope.vertex.vertx;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.streamscope.vertex.seams.VertexExecutor;
import dev.streamscope.vertex.seams.VertexLauncher;
import io.vertx.core.Vertx;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class VertxVertexLauncherTest {
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void closeVertx() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void aReplacementLaunchedFromTheStoppedVertexsOwnThreadRunsAndOutlivesIt() throws Exception {
    VertxVertexLauncher launcher = new VertxVertexLauncher(vertx);
    CompletableFuture<VertexExecutor> firstExecutor = new CompletableFuture<>();
    VertexLauncher.Launched first =
        launcher
            .launch("v#0", executor -> () -> firstExecutor.complete(executor))
            .toCompletableFuture()
            .get(30, TimeUnit.SECONDS);

    // As Job restarts a vertex that failed (or was killed) on its own thread: stop it, launch anew.
    CompletableFuture<Void> firstStopped = new CompletableFuture<>();
    CompletableFuture<VertexLauncher.Launched> second = new CompletableFuture<>();
    CompletableFuture<Void> secondStarted = new CompletableFuture<>();
    firstExecutor
        .get(30, TimeUnit.SECONDS)
        .execute(
            () -> {
              first.stop().whenComplete((ignored, error) -> firstStopped.complete(null));
              launcher
                  .launch("v#0", executor -> () -> secondStarted.complete(null))
                  .whenComplete(
                      (launched, error) -> {
                        if (error != null) {
                          second.completeExceptionally(error);
                        } else {
                          second.complete(launched);
                        }
                      });
            });

    second.get(30, TimeUnit.SECONDS); // Before: "Could not be added as child of parent deployment".
    secondStarted.get(30, TimeUnit.SECONDS);
    firstStopped.get(30, TimeUnit.SECONDS);
    assertEquals(1, vertx.deploymentIDs().size(), "the replacement is still deployed");
  }
}
