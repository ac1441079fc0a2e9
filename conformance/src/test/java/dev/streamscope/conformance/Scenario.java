package dev.streamscope.conformance;

import java.util.function.Function;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.values.PCollection;

/**
 * One differential test pipeline.
 *
 * @param name short, unique name (shown as the test's display name)
 * @param pipeline builds the pipeline and returns its formatted, deterministic output lines
 * @param expectEmpty true only for scenarios whose correct output is empty
 * @param streamingSkipReason null when the scenario's output is deterministic in streaming mode as
 *     well; otherwise why it is not run with {@code --streaming=true}
 */
public record Scenario(
    String name,
    Function<Pipeline, PCollection<String>> pipeline,
    boolean expectEmpty,
    String streamingSkipReason) {

  /** A scenario with non-empty output that is deterministic in batch and streaming mode. */
  public static Scenario of(String name, Function<Pipeline, PCollection<String>> pipeline) {
    return new Scenario(name, pipeline, false, null);
  }

  /** A scenario whose correct output is empty. */
  public static Scenario expectingNoOutput(
      String name, Function<Pipeline, PCollection<String>> pipeline) {
    return new Scenario(name, pipeline, true, null);
  }

  /** This scenario, not run in streaming mode for {@code reason}. */
  public Scenario batchOnly(String reason) {
    return new Scenario(name, pipeline, expectEmpty, reason);
  }

  @Override
  public String toString() {
    return name;
  }
}
