package dev.streamscope.vertex;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamscope.rstream.InMemoryRStreamStore;
import dev.streamscope.vertex.graph.EdgeKind;
import dev.streamscope.vertex.graph.InputSpec;
import dev.streamscope.vertex.graph.JobGraph;
import dev.streamscope.vertex.graph.StageSpec;
import dev.streamscope.vertex.vertx.VertxVertexLauncher;
import io.vertx.core.Vertx;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class JobTest {
  private Vertx vertx;

  @BeforeEach
  void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stopVertx() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** Emits {@code first, first + step, ...} below {@code end}, key hash = value. */
  private static final class RangeSource implements SourceOperator {
    private final int end;
    private final int step;
    private int next;
    private OperatorContext context;

    RangeSource(int first, int end, int step) {
      this.next = first;
      this.end = end;
      this.step = step;
    }

    @Override
    public void open(OperatorContext context) {
      this.context = context;
    }

    @Override
    public void startBundle() {}

    @Override
    public Status emit(int maxElements) {
      for (int i = 0; i < maxElements && next < end; i++, next += step) {
        context.emit(0, next, ByteBuffer.allocate(4).putInt(next).array());
      }
      return next >= end ? Status.DONE : Status.MORE;
    }

    @Override
    public void finishBundle() {}

    @Override
    public long outputWatermark(int output) {
      return next >= end ? Long.MAX_VALUE : Long.MIN_VALUE;
    }

    @Override
    public void close() {}
  }

  /** Records "input:value" in arrival order; fails on {@code poison}. */
  private static final class Recorder implements Operator {
    private final List<String> seen;
    private final int poison;

    Recorder(List<String> seen, int poison) {
      this.seen = seen;
      this.poison = poison;
    }

    @Override
    public void open(OperatorContext context) {}

    @Override
    public void startBundle() {}

    @Override
    public void processElement(int input, byte[] payload) {
      int value = ByteBuffer.wrap(payload).getInt();
      if (value == poison) {
        throw new IllegalStateException("poisoned by " + value);
      }
      seen.add(input + ":" + value);
    }

    @Override
    public void advanceWatermark(int input, long watermarkMillis) {
      seen.add(input + ":wm" + (watermarkMillis == Long.MAX_VALUE ? "end" : watermarkMillis));
    }

    @Override
    public void finishBundle() {}

    @Override
    public long outputWatermark(int output) {
      return Long.MAX_VALUE;
    }

    @Override
    public void close() {}
  }

  private Map<Integer, List<String>> run(int poison, int bundleElementsMax) throws Exception {
    Map<Integer, List<String>> seen = new ConcurrentHashMap<>();
    JobGraph graph =
        new JobGraph()
            .add(new StageSpec("evens", 2, List.of(), 1, p -> new RangeSource(2 * p, 4_000, 4)))
            .add(new StageSpec("odds", 1, List.of(), 1, p -> new RangeSource(1, 4_000, 2)))
            .add(
                new StageSpec(
                    "record",
                    3,
                    List.of(
                        new InputSpec("evens", 0, EdgeKind.HASH),
                        new InputSpec("odds", 0, EdgeKind.HASH)),
                    0,
                    p -> {
                      List<String> list = Collections.synchronizedList(new ArrayList<>());
                      seen.put(p, list);
                      return new Recorder(list, poison);
                    }));
    Job job =
        Job.start(
            graph,
            new InMemoryRStreamStore(),
            new VertxVertexLauncher(vertx),
            new VertexConfig(bundleElementsMax, 1 << 20, 5));
    try {
      job.completion().get(60, TimeUnit.SECONDS);
    } finally {
      job.stop().get(30, TimeUnit.SECONDS);
    }
    return seen;
  }

  @Test
  void hashEdgesDeliverEveryElementToItsKeysPartition() throws Exception {
    Map<Integer, List<String>> seen = run(-1, 64);
    int total = 0;
    for (Map.Entry<Integer, List<String>> partition : seen.entrySet()) {
      for (String event : partition.getValue()) {
        if (!event.contains("wm")) {
          int value = Integer.parseInt(event.substring(2));
          assertEquals(Math.floorMod(value, 3), partition.getKey(), event);
          assertEquals(value % 2 == 0 ? "0" : "1", event.substring(0, 1), event);
          total++;
        }
      }
      assertTrue(partition.getValue().contains("0:wmend"));
      assertTrue(partition.getValue().contains("1:wmend"));
    }
    assertEquals(4_000, total);
  }

  @Test
  void mergeOrderDependsOnStreamContentOnly() throws Exception {
    Map<Integer, List<String>> first = run(-1, 16);
    for (int attempt = 0; attempt < 3; attempt++) {
      assertEquals(first, run(-1, 16), "interleaving differed on attempt " + attempt);
    }
    assertNotEquals(first, run(-1, 17), "a different epoch size must change the interleaving");
  }

  @Test
  void anOperatorFailureFailsTheJobNamingTheVertex() {
    ExecutionException error = assertThrows(ExecutionException.class, () -> run(2_001, 64));
    VertexFailedException failure = assertInstanceOf(VertexFailedException.class, error.getCause());
    assertEquals("record#" + Math.floorMod(2_001, 3), failure.vertexId());
    assertTrue(failure.getCause().getMessage().contains("poisoned by 2001"));
  }
}
