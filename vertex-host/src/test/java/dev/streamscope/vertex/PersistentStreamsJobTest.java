package dev.streamscope.vertex;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamscope.rstream.RStream;
import dev.streamscope.rstream.persist.HadoopRStreamStore;
import dev.streamscope.rstream.persist.PersistenceStrategy;
import dev.streamscope.rstream.persist.PersistentRStream;
import dev.streamscope.rstream.persist.RStreamOptions;
import dev.streamscope.rstream.persist.RegenerationHook;
import dev.streamscope.vertex.graph.EdgeKind;
import dev.streamscope.vertex.graph.InputSpec;
import dev.streamscope.vertex.graph.JobGraph;
import dev.streamscope.vertex.graph.StageSpec;
import dev.streamscope.vertex.vertx.VertxStreamIo;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A job over persisted rStreams (raw local file system, the Vert.x I/O binding): every element
 * arrives, every stream ends durable, and a source held back by a small persistence backlog is
 * woken when it drains (no lost wake-up).
 */
class PersistentStreamsJobTest {
  private static final int ELEMENTS = 20_000;

  @TempDir java.nio.file.Path temp;
  @RegisterExtension final VertxJobs jobs = new VertxJobs();

  /** Collects the values it receives. */
  private static final class Collect extends TestOperator {
    private final Set<Integer> seen;

    Collect(Set<Integer> seen) {
      this.seen = seen;
    }

    @Override
    public void processElement(int input, byte[] payload) {
      if (!seen.add(ByteBuffer.wrap(payload).getInt())) {
        throw new IllegalStateException("duplicate " + ByteBuffer.wrap(payload).getInt());
      }
    }
  }

  @ParameterizedTest
  @EnumSource(value = PersistenceStrategy.class, names = {"HYBRID", "SYNCHRONOUS"})
  void everyElementArrivesAndEveryStreamEndsDurable(PersistenceStrategy strategy) throws Exception {
    FileSystem fs = FileSystem.getLocal(new Configuration()).getRawFileSystem();
    RStreamOptions options =
        RStreamOptions.defaults()
            .withStrategy(strategy)
            .withBatch(8 << 10, 2)
            .withBacklogBytesMax(16 << 10) // small: the sources often wait for persistence
            .withMemoryBytesMax(64 << 10) // small: readers often read evicted events back
            .withSegmentBytesMax(256 << 10);
    VertxStreamIo io = new VertxStreamIo(jobs.vertx(), "rstream-io", 2);
    HadoopRStreamStore store =
        new HadoopRStreamStore(fs, new Path(temp.toUri().toString(), "job"), options, io, RegenerationHook.NONE);
    List<RStream> opened = new ArrayList<>();
    Set<Integer> seen = ConcurrentHashMap.newKeySet();
    JobGraph graph =
        new JobGraph()
            .add(new StageSpec("numbers", 2, List.of(), 1, p -> new SnapshotOperators.Range(p, ELEMENTS, 2, new java.util.concurrent.atomic.AtomicBoolean(true), 100)))
            .add(
                new StageSpec(
                    "collect",
                    2,
                    List.of(new InputSpec("numbers", 0, EdgeKind.HASH)),
                    0,
                    p -> new Collect(seen)));
    Job job =
        jobs.start(
            graph,
            new dev.streamscope.rstream.RStreamStore() {
              @Override
              public RStream open(String streamId, String producer) {
                RStream stream = store.open(streamId, producer);
                opened.add(stream);
                return stream;
              }

              @Override
              public void close() {
                store.close();
              }
            },
            new VertexConfig(100, 4_096, 1 << 20, 5));
    try {
      job.completion().get(120, TimeUnit.SECONDS); // Longer than most: it waits for the disk.
    } finally {
      VertxJobs.stop(job);
    }
    assertEquals(ELEMENTS, seen.size());
    store.closeAsync().toCompletableFuture().get(60, TimeUnit.SECONDS);
    assertTrue(opened.size() >= 4, "streams " + opened.size());
    for (RStream stream : opened) {
      PersistentRStream persistent = (PersistentRStream) stream;
      assertEquals(persistent.nextSeq(), persistent.durableSeq(), persistent.toString());
    }
    assertEquals(4, store.listStreams().toCompletableFuture().get().size());
  }
}
