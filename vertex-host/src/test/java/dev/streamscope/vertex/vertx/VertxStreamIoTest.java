package dev.streamscope.vertex.vertx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Vert.x binding of the rStream I/O seam. Timers and blocking work started from a verticle
 * must outlive it: Vert.x cancels a verticle's own timers when it is undeployed, which once lost a
 * stream's retry timer and hung the job's close.
 */
class VertxStreamIoTest {
  private Vertx vertx;
  private VertxStreamIo io;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    io = new VertxStreamIo(vertx, "test-rstream-io", 2);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void aTimerSetFromAVerticleFiresAfterTheVerticleIsUndeployed() throws Exception {
    CompletableFuture<String> fired = new CompletableFuture<>();
    String deployment =
        vertx
            .deployVerticle(
                new VerticleBase() {
                  @Override
                  public Future<?> start() {
                    io.setTimer(200, () -> fired.complete(Thread.currentThread().getName()));
                    return Future.succeededFuture();
                  }
                })
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    vertx.undeploy(deployment).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    fired.get(10, TimeUnit.SECONDS);
  }

  @Test
  void blockingWorkCompletesWithItsResultOrError() throws Exception {
    assertEquals(42, io.executeBlocking(() -> 42).toCompletableFuture().get(10, TimeUnit.SECONDS));
    ExecutionException error =
        assertThrows(
            ExecutionException.class,
            () ->
                io.executeBlocking(
                        () -> {
                          throw new IOException("disk gone");
                        })
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS));
    assertEquals("disk gone", error.getCause().getMessage());
  }
}
