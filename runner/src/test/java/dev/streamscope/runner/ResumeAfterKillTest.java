package dev.streamscope.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -9} of a JVM running a job, then the same job started again with the same {@code
 * --jobId} and {@code --rstreamRoot}: it resumes from its persisted rStreams and snapshots and ends
 * with exactly the output of a run without failure.
 */
class ResumeAfterKillTest {
  private static final long EVENTS = 200_000;
  private static final int KEYS = 100;

  @TempDir Path temp;

  /**
   * Passes everything through, except that without the gate file it holds at element {@code
   * EVENTS / 2} for good: the child JVM, run before the file exists, is killed there; the resumed
   * run creates the file first.
   */
  static final class FileGate extends DoFn<Long, Long> {
    private final String gateFile;

    FileGate(String gateFile) {
      this.gateFile = gateFile;
    }

    @ProcessElement
    public void process(@Element Long element, OutputReceiver<Long> out) throws InterruptedException {
      if (element == EVENTS / 2 && !Files.exists(Path.of(gateFile))) {
        new java.util.concurrent.CountDownLatch(1).await(); // Until the test kills this JVM.
      }
      out.output(element);
    }
  }

  /**
   * The job, built the same in both JVMs (a resumed job must be the same job): every key {@code i
   * % KEYS} sums the elements it gets, and PAssert checks the sums exactly.
   */
  static void build(Pipeline p, String gateFile) {
    PCollection<KV<Long, Long>> sums =
        p.apply(GenerateSequence.from(0).to(EVENTS))
            .apply("Gate", ParDo.of(new FileGate(gateFile)))
            .apply(
                MapElements.into(TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.longs()))
                    .via((Long i) -> KV.of(i % KEYS, i)))
            .apply("SumPerKey", Sum.longsPerKey());
    List<KV<Long, Long>> expected = new ArrayList<>();
    for (long key = 0; key < KEYS; key++) {
      long sum = 0;
      for (long i = key; i < EVENTS; i += KEYS) {
        sum += i;
      }
      expected.add(KV.of(key, sum));
    }
    PAssert.that(sums).containsInAnyOrder(expected);
  }

  static List<String> args(Path root, String jobId) {
    return List.of(
        "--parallelism=2",
        "--rstreamRoot=" + root.toUri(),
        "--jobId=" + jobId,
        "--checkpointIntervalMs=5",
        "--maxBundleSize=500");
  }

  /** The child JVM: runs the job until it is killed (its gate never opens). */
  public static void main(String[] argv) {
    String gateFile = argv[argv.length - 1].substring("--gateFile=".length());
    String[] options = java.util.Arrays.copyOf(argv, argv.length - 1);
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs(options).withValidation().create());
    build(p, gateFile);
    p.run().waitUntilFinish();
  }

  /** Vertices with a snapshot file (one directory each). */
  private static long snapshottedVertices(Path jobDir) throws IOException {
    Path snapshots = jobDir.resolve(".snapshots");
    if (!Files.isDirectory(snapshots)) {
      return 0;
    }
    try (Stream<Path> files = Files.walk(snapshots)) {
      return files
          .filter(f -> f.getFileName().toString().startsWith("snapshot-"))
          .map(Path::getParent)
          .distinct()
          .count();
    }
  }

  @Test
  void aJobWhoseJvmWasKilledResumesAndItsOutputIsExact() throws Exception {
    Path root = temp.resolve("root");
    Path gate = temp.resolve("gate-open");
    String jobId = "resumable";
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx512m");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(ResumeAfterKillTest.class.getName());
    command.add("--runner=StreamScope");
    command.addAll(args(root, jobId));
    command.add("--gateFile=" + gate);
    Process child =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(temp.resolve("child.log").toFile())
            .start();
    try {
      Path jobDir = root.resolve(jobId);
      // More vertices than the source's 2 partitions: a downstream one, whose outputs wait for
      // the end of the input, can resume from its snapshot whatever of its inputs was durable (a
      // source's snapshots may all be ahead of its durable outputs when the kill comes).
      Awaitility.await()
          .atMost(Duration.ofSeconds(120))
          .until(() -> !child.isAlive() || snapshottedVertices(jobDir) >= 3);
      assertTrue(child.isAlive(), "the child ran until killed; its log: " + Files.readString(temp.resolve("child.log")));
      Runtime.getRuntime().exec(new String[] {"kill", "-9", Long.toString(child.pid())}).waitFor();
      assertTrue(child.waitFor(30, TimeUnit.SECONDS));
      assertEquals(137, child.exitValue(), "killed by SIGKILL");
      assertTrue(Files.isDirectory(jobDir), "the killed job left its rStreams");
    } finally {
      child.destroyForcibly();
    }

    Files.createFile(gate);
    List<String> resumeArgs = new ArrayList<>(args(root, jobId));
    resumeArgs.add("--runner=TestStreamScope");
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs(resumeArgs.toArray(new String[0])).create());
    build(p, gate.toString());
    StreamScopePipelineResult result = (StreamScopePipelineResult) p.run();
    assertEquals(PipelineResult.State.DONE, result.getState());
    assertTrue(
        result.vertexIds().stream().anyMatch(id -> result.restoredSnapshotVersion(id) > 0),
        "some vertex resumed from a snapshot of the killed run");
    assertFalse(Files.exists(root.resolve(jobId)), "a finished job's directory is deleted");
  }
}
