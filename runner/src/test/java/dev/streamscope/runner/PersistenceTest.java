package dev.streamscope.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamscope.rstream.persist.RStreamFileSystems;
import dev.streamscope.rstream.segment.StreamInspector;
import dev.streamscope.runner.cli.StreamScopeCli;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where and how the runner persists a job's rStreams (local file system and a real HDFS). */
class PersistenceTest {
  @TempDir Path temp;

  private static Pipeline sumPipeline(List<String> args) {
    List<String> all = new ArrayList<>(List.of("--runner=TestStreamScopeRunner", "--parallelism=2"));
    all.addAll(args);
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs(all.toArray(new String[0])).create());
    List<KV<Integer, Long>> input = new ArrayList<>();
    for (int i = 0; i < 3_000; i++) {
      input.add(KV.of(i % 3, (long) i));
    }
    PCollection<KV<Integer, Long>> sums = p.apply(Create.of(input)).apply(Sum.longsPerKey());
    PAssert.that(sums).containsInAnyOrder(KV.of(0, 1_498_500L), KV.of(1, 1_499_500L), KV.of(2, 1_500_500L));
    return p;
  }

  private static List<Path> children(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return List.of();
    }
    try (Stream<Path> list = Files.list(dir)) {
      return list.toList();
    }
  }

  @Test
  void byDefaultAJobPersistsUnderItsOwnDirectoryDeletedWhenItSucceeds() throws IOException {
    Path root = temp.resolve("root");
    Pipeline p = sumPipeline(List.of("--rstreamRoot=" + root.toUri()));
    assertEquals(PipelineResult.State.DONE, p.run().getState());
    assertTrue(Files.isDirectory(root), "the job persisted under the root");
    assertEquals(List.of(), children(root), "and its directory went with its success");
  }

  @Test
  void keptStreamsAreAllDurableAndVerify() throws IOException {
    Path root = temp.resolve("root");
    for (String persistence : List.of("hybrid", "synchronous")) {
      Pipeline p =
          sumPipeline(
              List.of(
                  "--rstreamRoot=" + root.toUri(),
                  "--rstreamPersistence=" + persistence,
                  "--jobId=job-" + persistence,
                  "--keepRstreams"));
      assertEquals(PipelineResult.State.DONE, p.run().getState());
      FileSystem fs = RStreamFileSystems.forUri(root.toUri());
      List<StreamInspector.StreamReport> streams =
          StreamInspector.inspectTree(fs, new org.apache.hadoop.fs.Path(root.resolve("job-" + persistence).toUri()));
      assertFalse(streams.isEmpty());
      for (StreamInspector.StreamReport stream : streams) {
        assertTrue(stream.problems().isEmpty(), stream.problems().toString());
        assertTrue(stream.durableSeq() > 0, stream.streamId() + " holds at least its end");
        assertEquals(stream.durableSeq(), stream.recordsVerified(), stream.streamId());
      }
    }
    StringWriter out = new StringWriter();
    int exit = new StreamScopeCli(new PrintWriter(out), new PrintWriter(new StringWriter())).execute("inspect", root.toString());
    assertEquals(0, exit, out.toString());
    assertTrue(out.toString().contains("no problems"), out.toString());
  }

  @Test
  void dumpDecodesTheElementsOfAKeptJobsStreams() throws IOException {
    Path root = temp.resolve("root");
    Pipeline p = sumPipeline(List.of("--rstreamRoot=" + root.toUri(), "--jobId=dumped", "--keepRstreams"));
    assertEquals(PipelineResult.State.DONE, p.run().getState());
    StringWriter out = new StringWriter();
    int exit =
        new StreamScopeCli(new PrintWriter(out), new PrintWriter(new StringWriter()))
            .execute("inspect", "--dump", root.resolve("dumped").toString());
    String dump = out.toString();
    assertEquals(0, exit, dump);
    long streams = dump.lines().filter(line -> line.startsWith("rStream ")).count();
    assertTrue(streams > 0, dump);
    assertEquals(
        streams,
        dump.lines().filter(line -> line.startsWith("  payloads decoded (streamscope/beam-windowed-value/v1)")).count(),
        "every stream's payloads are decoded: " + dump);
    for (String sum : List.of("KV{0, 1498500}", "KV{1, 1499500}", "KV{2, 1500500}")) {
      assertTrue(dump.contains(sum), "the sums on their way to PAssert: " + sum);
    }
    assertTrue(dump.contains("in [GlobalWindow]  PaneInfo"), "windows and panes are printed");
  }

  @Test
  void memoryOnlyWritesNothing() throws IOException {
    Path root = temp.resolve("root");
    Pipeline p = sumPipeline(List.of("--rstreamRoot=" + root.toUri(), "--rstreamPersistence=memory-only", "--keepRstreams"));
    assertEquals(PipelineResult.State.DONE, p.run().getState());
    assertEquals(List.of(), children(root));
  }

  @Test
  void badValuesAreRefused() {
    for (String bad :
        List.of("--rstreamPersistence=sometimes", "--rstreamFlushMode=fsync", "--rstreamMemoryBytesMax=0", "--jobId=a/b")) {
      IllegalArgumentException error =
          assertThrows(IllegalArgumentException.class, () -> sumPipeline(List.of(bad)).run(), bad);
      assertTrue(error.getMessage().contains(bad.substring(2, bad.indexOf('='))), error.getMessage());
    }
  }

  @Test
  void anHdfsRootGetsTheJobsStreams() throws Exception {
    Configuration conf = new Configuration();
    conf.setInt("dfs.replication", 1);
    MiniDFSCluster cluster =
        new MiniDFSCluster.Builder(conf, new File(temp.toFile(), "dfs")).numDataNodes(1).build();
    try {
      cluster.waitActive();
      URI root = URI.create(cluster.getURI() + "/streamscope");
      Pipeline p = sumPipeline(List.of("--rstreamRoot=" + root, "--jobId=on-hdfs", "--keepRstreams"));
      assertEquals(PipelineResult.State.DONE, p.run().getState());
      try (FileSystem fs = RStreamFileSystems.forUri(root)) {
        List<StreamInspector.StreamReport> streams =
            StreamInspector.inspectTree(fs, new org.apache.hadoop.fs.Path(root + "/on-hdfs"));
        assertFalse(streams.isEmpty());
        for (StreamInspector.StreamReport stream : streams) {
          assertTrue(stream.problems().isEmpty(), stream.problems().toString());
          assertTrue(stream.durableSeq() > 0, stream.streamId());
        }
      }
      StringWriter out = new StringWriter();
      int exit =
          new StreamScopeCli(new PrintWriter(out), new PrintWriter(new StringWriter()))
              .execute("inspect", root + "/on-hdfs");
      assertEquals(0, exit, out.toString());
    } finally {
      cluster.shutdown(true);
    }
  }
}
