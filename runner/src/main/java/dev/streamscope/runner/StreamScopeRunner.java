package dev.streamscope.runner;

import dev.streamscope.rstream.persist.PersistenceStrategy;
import dev.streamscope.rstream.segment.FlushMode;
import dev.streamscope.translation.PipelineTranslator;
import dev.streamscope.translation.TranslatedJob;
import dev.streamscope.vertex.Job;
import dev.streamscope.vertex.RecoveryConfig;
import dev.streamscope.vertex.RecoveryStrategy;
import dev.streamscope.vertex.VertexConfig;
import dev.streamscope.vertex.vertx.VertxVertexLauncher;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.net.URI;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsValidator;
import org.apache.beam.sdk.metrics.MetricsEnvironment;

/**
 * Runs a Beam pipeline on StreamScope: translated into stages of rVertices joined by rStreams,
 * one Vert.x verticle per vertex instance, all in this JVM (the embedded default). The rStreams
 * are persisted (hybrid by default) under {@code <rstreamRoot>/<jobId>/}; see {@link JobStreams}.
 *
 * <p>{@link #run} returns as soon as the job started; use {@link
 * org.apache.beam.sdk.PipelineResult#waitUntilFinish()} to wait for it.
 */
public final class StreamScopeRunner extends PipelineRunner<StreamScopePipelineResult> {
  private final StreamScopePipelineOptions options;

  private StreamScopeRunner(StreamScopePipelineOptions options) {
    this.options = options;
  }

  /** Called by Beam for {@code --runner=StreamScope}; checks every option first. */
  public static StreamScopeRunner fromOptions(PipelineOptions options) {
    StreamScopePipelineOptions streamScopeOptions =
        PipelineOptionsValidator.validate(StreamScopePipelineOptions.class, options);
    validate(streamScopeOptions);
    return new StreamScopeRunner(streamScopeOptions);
  }

  /** Fails with a message naming {@code --option=value} unless {@code value >= 0}. */
  public static void requireAtLeastZero(String option, long value) {
    if (value < 0) {
      throw new IllegalArgumentException(
          "Invalid option --" + option + "=" + value + ": must be at least 0");
    }
  }

  /** Fails with a message naming {@code --option=value} unless {@code value >= 1}. */
  public static void requireAtLeastOne(String option, long value) {
    if (value < 1) {
      throw new IllegalArgumentException(
          "Invalid option --" + option + "=" + value + ": must be at least 1");
    }
  }

  static void validate(StreamScopePipelineOptions options) {
    requireAtLeastOne("parallelism", options.getParallelism());
    requireAtLeastOne("checkpointIntervalMs", options.getCheckpointIntervalMs());
    if (options.getMaxVertexRestarts() < 0) {
      throw new IllegalArgumentException(
          "Invalid option --maxVertexRestarts=" + options.getMaxVertexRestarts() + ": must be at least 0");
    }
    requireAtLeastOne("maxBundleSize", options.getMaxBundleSize());
    requireAtLeastOne("streamBufferBytesMax", options.getStreamBufferBytesMax());
    try {
      RecoveryStrategy.parse(options.getRecoveryStrategy());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Invalid option --recoveryStrategy: " + e.getMessage(), e);
    }
    requireAtLeastZero("injectVertexFailures", options.getInjectVertexFailures());
    RecoveryStrategies.parse(options.getRecoveryStrategies());
    if (options.getNondeterministicSteps() == null) {
      throw new IllegalArgumentException(
          "Invalid option --nondeterministicSteps: must be a comma list of step-name prefixes");
    }
    try {
      PersistenceStrategy.parse(options.getRstreamPersistence());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Invalid option --rstreamPersistence: " + e.getMessage(), e);
    }
    try {
      FlushMode.parse(options.getRstreamFlushMode());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Invalid option --rstreamFlushMode: " + e.getMessage(), e);
    }
    requireAtLeastOne("rstreamMemoryBytesMax", options.getRstreamMemoryBytesMax());
    requireAtLeastOne("rstreamFlushIntervalMs", options.getRstreamFlushIntervalMs());
    String jobId = options.getJobId();
    if (jobId == null || !jobId.isEmpty() && !jobId.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
      throw new IllegalArgumentException(
          "Invalid option --jobId=" + jobId + ": must be letters, digits, '.', '_' or '-'"
              + " (it names the job's directory under --rstreamRoot)");
    }
    try {
      URI root = URI.create(options.getRstreamRoot());
      if (root.getScheme() == null) {
        throw new IllegalArgumentException("it has no scheme (file:, hdfs:, ...)");
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "Invalid option --rstreamRoot=" + options.getRstreamRoot() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public StreamScopePipelineResult run(Pipeline pipeline) {
    MetricsEnvironment.setMetricsSupported(true);
    TranslatedJob translated =
        PipelineTranslator.translate(
            pipeline, options.getParallelism(), nondeterministicSteps(options));
    Vertx vertx =
        Vertx.vertx(
            new VertxOptions()
                .setWorkerPoolSize(Math.max(4, 2 * Runtime.getRuntime().availableProcessors()))
                .setBlockedThreadCheckInterval(60_000));
    java.util.function.Function<String, RecoveryStrategy> strategyOfStage = strategyOfStage(options, translated);
    JobStreams streams;
    try {
      streams = JobStreams.create(options, vertx, translated.graph(), strategyOfStage);
      streams.describePayloads(translated.payloads()::formatOf);
    } catch (RuntimeException e) {
      vertx.close();
      throw e;
    }
    // Injected kills come on top of the failures the budget is for: one vertex may take them all.
    RecoveryConfig recovery =
        RecoveryConfig.snapshots(
            options.getMaxVertexRestarts() + options.getInjectVertexFailures(),
            streams.snapshots(),
            options.getCheckpointIntervalMs(),
            strategyOfStage);
    FailureInjector injector =
        new FailureInjector(
            translated.graph(), options.getInjectVertexFailures(), options.getFailureInjectionSeed());
    Job job =
        Job.start(
            injector.wrap(translated.graph()),
            injector.wrap(streams),
            new VertxVertexLauncher(vertx),
            vertexConfig(options),
            recovery);
    injector.attach(job);
    streams.attach(job);
    return new StreamScopePipelineResult(job, translated, vertx, streams, injector);
  }

  /**
   * Each stage's recovery strategy: {@code --recoveryStrategy}, overridden per step by {@code
   * --recoveryStrategies} (shared with the simulation runner).
   */
  public static java.util.function.Function<String, RecoveryStrategy> strategyOfStage(
      StreamScopePipelineOptions options, TranslatedJob translated) {
    return RecoveryStrategies.of(
            RecoveryStrategy.parse(options.getRecoveryStrategy()),
            RecoveryStrategies.parse(options.getRecoveryStrategies()),
            translated.stepsByStage())
        ::ofStage;
  }

  /** The step-name prefixes of {@code --nondeterministicSteps}, blanks dropped. */
  public static java.util.List<String> nondeterministicSteps(StreamScopePipelineOptions options) {
    java.util.List<String> prefixes = new java.util.ArrayList<>();
    for (String prefix : options.getNondeterministicSteps().split(",")) {
      if (!prefix.isBlank()) {
        prefixes.add(prefix.trim());
      }
    }
    return prefixes;
  }

  /** The vertex host's knobs from the options (shared with the simulation runner). */
  public static VertexConfig vertexConfig(StreamScopePipelineOptions options) {
    return new VertexConfig(
        options.getMaxBundleSize(),
        VertexConfig.defaults().turnEventsMax(),
        options.getStreamBufferBytesMax(),
        VertexConfig.defaults().idlePollMs());
  }

  @Override
  public String toString() {
    return "StreamScopeRunner";
  }
}
