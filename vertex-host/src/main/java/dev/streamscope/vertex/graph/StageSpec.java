package dev.streamscope.vertex.graph;

import dev.streamscope.vertex.Operator;
import java.util.List;
import java.util.function.IntFunction;

/**
 * A stage of a job: {@code parallelism} vertex instances running the operator that {@code
 * operatorFactory} makes for each partition. A stage with no inputs must make {@link
 * dev.streamscope.vertex.SourceOperator}s.
 */
public record StageSpec(
    String id,
    int parallelism,
    List<InputSpec> inputs,
    int outputCount,
    IntFunction<Operator> operatorFactory) {
  public StageSpec {
    if (parallelism < 1) {
      throw new IllegalArgumentException("Stage " + id + ": parallelism must be >= 1");
    }
    inputs = List.copyOf(inputs);
  }
}
