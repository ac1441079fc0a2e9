package dev.streamscope.simulator;

import java.util.List;
import org.apache.beam.sdk.PipelineRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsRegistrar;
import org.apache.beam.sdk.runners.PipelineRunnerRegistrar;

/** Registers {@code --runner=StreamScopeSimulation} and its options. */
public final class SimulationRegistrar {
  private SimulationRegistrar() {}

  /** The runner. */
  public static final class Runner implements PipelineRunnerRegistrar {
    @Override
    public Iterable<Class<? extends PipelineRunner<?>>> getPipelineRunners() {
      return List.of(StreamScopeSimulationRunner.class);
    }
  }

  /** Its options. */
  public static final class Options implements PipelineOptionsRegistrar {
    @Override
    public Iterable<Class<? extends PipelineOptions>> getPipelineOptions() {
      return List.of(StreamScopeSimulationOptions.class);
    }
  }
}
