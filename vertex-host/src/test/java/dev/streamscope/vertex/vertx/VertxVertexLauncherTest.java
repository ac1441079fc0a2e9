package dev.streamscope.vertex.vertx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamscope.vertex.seams.VertexExecutor;
import dev.streamscope.vertex.seams.VertexLauncher;
import io.vertx.core.Vertx;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
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

  /** Burns {@code cpuNanos} of the calling thread's CPU time. */
  private static long burn(long cpuNanos) {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long start = threads.getCurrentThreadCpuTime();
    long work = 0;
    while (threads.getCurrentThreadCpuTime() - start < cpuNanos) {
      work += Long.numberOfTrailingZeros(work + 1);
    }
    return work;
  }

  @Test
  void theVertexThreadsCpuTimeCountsItsOwnWorkNotItsWaits() throws Exception {
    VertxVertexLauncher launcher = new VertxVertexLauncher(vertx);
    CompletableFuture<long[]> measured = new CompletableFuture<>();
    launcher.launch(
        "v#0",
        executor ->
            () -> {
              try {
                long cpuStartNanos = executor.threadCpuNanos();
                long wallStartMillis = executor.nowMillis();
                burn(50_000_000L);
                long ownWorkNanos = executor.threadCpuNanos() - cpuStartNanos;
                long ownWorkWallMillis = executor.nowMillis() - wallStartMillis;
                // Waiting while another thread works: wall time passes, this thread's CPU not.
                long waitStartNanos = executor.threadCpuNanos();
                CompletableFuture.supplyAsync(() -> burn(50_000_000L)).get(60, TimeUnit.SECONDS);
                measured.complete(
                    new long[] {
                      ownWorkNanos, ownWorkWallMillis, executor.threadCpuNanos() - waitStartNanos
                    });
              } catch (Exception e) {
                measured.completeExceptionally(e);
              }
            });

    long[] result = measured.get(60, TimeUnit.SECONDS);
    assertTrue(result[0] >= 50_000_000L, "CPU time grew with the work: " + result[0] + " ns");
    // One thread's CPU time cannot outrun the clock (1 ms of slack for the clock's granularity).
    assertTrue(result[0] <= (result[1] + 1) * 1_000_000L,
        "CPU " + result[0] + " ns in " + result[1] + " ms of wall time");
    assertTrue(result[2] < 25_000_000L,
        "waiting for 50 ms of another thread's work cost this one " + result[2] + " ns of CPU");
  }
}
