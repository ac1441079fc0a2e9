package dev.streamscope.runner;

import java.util.List;
import org.apache.beam.sdk.PipelineRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsRegistrar;
import org.apache.beam.sdk.runners.PipelineRunnerRegistrar;

/** Registers {@link StreamScopeRunner} (so {@code --runner=StreamScope} works) and its options. */
public final class StreamScopeRunnerRegistrar {
  private StreamScopeRunnerRegistrar() {}

  /** The runners: {@code StreamScope} and {@code TestStreamScope}. */
  public static final class Runner implements PipelineRunnerRegistrar {
    @Override
    public Iterable<Class<? extends PipelineRunner<?>>> getPipelineRunners() {
      return List.of(StreamScopeRunner.class, TestStreamScopeRunner.class);
    }
  }

  /** The options: {@link StreamScopePipelineOptions}. */
  public static final class Options implements PipelineOptionsRegistrar {
    @Override
    public Iterable<Class<? extends PipelineOptions>> getPipelineOptions() {
      return List.of(StreamScopePipelineOptions.class);
    }
  }
}
