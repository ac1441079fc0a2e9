package dev.streamscope.runner.examples;

import java.io.IOException;
import java.io.PrintWriter;
import org.apache.beam.sdk.Pipeline;

/**
 * A bundled example: builds its pipeline from the pipeline's options, and after the pipeline
 * finished reads its results back from the output directory and prints them.
 */
public interface Example {

  /** The name given to {@code streamscope run --example NAME}. */
  String name();

  /** One line describing what the example does. */
  String description();

  /** The options interface the example reads; it extends {@link ExampleOptions}. */
  Class<? extends ExampleOptions> optionsClass();

  /** Whether the example is a streaming pipeline ({@code --streaming} unless given otherwise). */
  default boolean streaming() {
    return false;
  }

  /**
   * Adds the example's transforms to {@code pipeline}, configured by its options, and removes the
   * result files a previous run left in the output directory.
   */
  void build(Pipeline pipeline) throws IOException;

  /** Reads the results of a finished run back from the output directory and prints them. */
  void printResults(ExampleOptions options, PrintWriter out) throws IOException;
}
