package dev.streamscope.runner;

import java.io.File;
import org.apache.beam.sdk.options.ApplicationNameOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.DefaultValueFactory;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.StreamingOptions;

/** Options of the StreamScope runner. {@link StreamScopeRunner#fromOptions} validates them. */
public interface StreamScopePipelineOptions
    extends PipelineOptions, StreamingOptions, ApplicationNameOptions {

  @Description(
      "Number of partitions (vertex instances) of every keyed or parallel stage. Defaults to the"
          + " number of available processors.")
  @Default.InstanceFactory(AvailableProcessors.class)
  int getParallelism();

  void setParallelism(int parallelism);

  @Description(
      "Root URI under which rStreams and snapshots are kept: a local directory by default, or any"
          + " Hadoop FileSystem URI such as hdfs://namenode:8020/streamscope.")
  @Default.InstanceFactory(LocalRStreamRoot.class)
  String getRstreamRoot();

  void setRstreamRoot(String rstreamRoot);

  @Description(
      "How rStreams are made reliable: hybrid (visible from memory at once, persisted"
          + " asynchronously in batches under --rstreamRoot), synchronous (persisted before they"
          + " are visible) or memory-only (nothing persisted).")
  @Default.String("hybrid")
  String getRstreamPersistence();

  void setRstreamPersistence(String rstreamPersistence);

  @Description(
      "Bytes of events each persisted rStream keeps in memory; older events that are already"
          + " persisted are evicted and read back from their segments.")
  @Default.Long(64L << 20)
  long getRstreamMemoryBytesMax();

  void setRstreamMemoryBytesMax(long rstreamMemoryBytesMax);

  @Description(
      "A persisted rStream flushes a batch once it holds 1 MiB or this many milliseconds after it"
          + " started, whichever comes first.")
  @Default.Long(10L)
  long getRstreamFlushIntervalMs();

  void setRstreamFlushIntervalMs(long rstreamFlushIntervalMs);

  @Description(
      "How a flushed batch is made durable: hflush (in the datanodes' memory, or the OS's on the"
          + " local file system) or hsync (on disk).")
  @Default.String("hflush")
  String getRstreamFlushMode();

  void setRstreamFlushMode(String rstreamFlushMode);

  @Description(
      "Id of this job: its rStreams go to <rstreamRoot>/<jobId>/. By default every run gets a new"
          + " random UUID.")
  @Default.String("")
  String getJobId();

  void setJobId(String jobId);

  @Description(
      "Keep the job's persisted rStreams after it succeeded (a failed job's are always kept, for"
          + " 'streamscope inspect').")
  @Default.Boolean(false)
  boolean getKeepRstreams();

  void setKeepRstreams(boolean keepRstreams);

  @Description(
      "Least time between two snapshots of one vertex, in milliseconds; each vertex snapshots on"
          + " its own schedule (no global barrier), at input epoch boundaries.")
  @Default.Long(1_000L)
  long getCheckpointIntervalMs();

  void setCheckpointIntervalMs(long checkpointIntervalMs);

  @Description(
      "Default recovery strategy of every vertex: recompute, checkpoint-replay, persistent or"
          + " hybrid. The vertices of nondeterministic steps snapshot under recompute too (see"
          + " --nondeterministicSteps).")
  @Default.String("hybrid")
  String getRecoveryStrategy();

  void setRecoveryStrategy(String recoveryStrategy);

  @Description(
      "Recovery strategies of single Beam steps, overriding --recoveryStrategy: a comma list of"
          + " step=strategy, e.g. CountWords=recompute,WriteCounts=persistent. A step name covers"
          + " the steps inside it; steps fused together take the most protective strategy named.")
  @Default.String("")
  String getRecoveryStrategies();

  void setRecoveryStrategies(String recoveryStrategies);

  @Description(
      "Comma list of step-name prefixes whose output may differ from run to run by design (a DoFn"
          + " drawing random numbers, reading a clock or an outside system). The runner persists"
          + " the outputs of their stages before exposing them (strong productions), whatever"
          + " --recoveryStrategy says, so a replay after a failure never contradicts what was"
          + " seen; steps it can tell are nondeterministic (WriteFiles' writers,"
          + " @RequiresStableInput, processing-time timers and triggers) need not be listed. The"
          + " simulator does not compare the streams of these steps with its reference run.")
  @Default.String("")
  String getNondeterministicSteps();

  void setNondeterministicSteps(String nondeterministicSteps);

  @Description(
      "Restarts allowed per vertex instance before its failure fails the job; 0 fails the job on"
          + " the first vertex failure.")
  @Default.Integer(3)
  int getMaxVertexRestarts();

  void setMaxVertexRestarts(int maxVertexRestarts);

  @Description("Largest number of elements a source emits between two watermark punctuations.")
  @Default.Integer(1_000)
  int getMaxBundleSize();

  void setMaxBundleSize(int maxBundleSize);

  @Description(
      "Bytes a source may have written to one rStream that its reader has not consumed yet;"
          + " past it the source waits (back-pressure).")
  @Default.Long(32L << 20)
  long getStreamBufferBytesMax();

  void setStreamBufferBytesMax(long streamBufferBytesMax);

  @Description(
      "Test tooling: vertices killed for real per job, at seeded moments (0, the default, kills"
          + " none). Each kill stops a vertex in the middle of a turn, as a crash would, and the"
          + " job must recover it (so it needs a recovery strategy that restarts vertices, such as"
          + " --recoveryStrategy=recompute); each vertex may be restarted this many more times."
          + " Every kill is logged; the result reports them.")
  @Default.Integer(0)
  int getInjectVertexFailures();

  void setInjectVertexFailures(int injectVertexFailures);

  @Description(
      "Seed of --injectVertexFailures: which vertices die and at which of their events. The same"
          + " seed and pipeline give the same kills.")
  @Default.Long(0L)
  long getFailureInjectionSeed();

  void setFailureInjectionSeed(long failureInjectionSeed);

  /** Default parallelism: one partition per available processor. */
  class AvailableProcessors implements DefaultValueFactory<Integer> {
    @Override
    public Integer create(PipelineOptions options) {
      return Runtime.getRuntime().availableProcessors();
    }
  }

  /** Default rStream root: a directory under the system temporary directory. */
  class LocalRStreamRoot implements DefaultValueFactory<String> {
    @Override
    public String create(PipelineOptions options) {
      return new File(System.getProperty("java.io.tmpdir"), "streamscope").toURI().toString();
    }
  }
}
