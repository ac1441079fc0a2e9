package dev.streamscope.vertex.graph;

import dev.streamscope.vertex.Operator;
import java.util.List;
import java.util.function.IntFunction;

/**
 * A stage of a job: {@code parallelism} vertex instances running the operator that {@code
 * operatorFactory} makes for each partition. A stage with no inputs must make {@link
 * dev.streamscope.vertex.SourceOperator}s.
 *
 * @param nondeterministic a replay of the stage could write different output (random names,
 *     wall-clock timers, external reads): its vertices persist what they write before exposing it
 *     (strong productions; see {@code VertexInstance}), so no replay contradicts what readers saw
 */
public record StageSpec(
    String id,
    int parallelism,
    List<InputSpec> inputs,
    int outputCount,
    IntFunction<Operator> operatorFactory,
    boolean nondeterministic) {
  public StageSpec {
    if (parallelism < 1) {
      throw new IllegalArgumentException("Stage " + id + ": parallelism must be >= 1");
    }
    inputs = List.copyOf(inputs);
  }

  /** This stage with its operators made by {@code factory} instead (everything else kept). */
  public StageSpec withOperatorFactory(IntFunction<Operator> factory) {
    return new StageSpec(id, parallelism, inputs, outputCount, factory, nondeterministic);
  }

  /** A deterministic stage. */
  public StageSpec(
      String id,
      int parallelism,
      List<InputSpec> inputs,
      int outputCount,
      IntFunction<Operator> operatorFactory) {
    this(id, parallelism, inputs, outputCount, operatorFactory, false);
  }
}
