package dev.streamscope.runner.examples;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.DefaultValueFactory;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.StreamingOptions;

/** Options every bundled example understands, on top of the runner's own. */
public interface ExampleOptions extends PipelineOptions, StreamingOptions {

  @Description(
      "Directory (local path or any Beam file system URI) the example writes its results to."
          + " Defaults to a new temporary directory.")
  @Default.InstanceFactory(TemporaryDirectory.class)
  String getOutput();

  void setOutput(String output);

  /** Default output: a fresh directory under the system temporary directory. */
  class TemporaryDirectory implements DefaultValueFactory<String> {
    @Override
    public String create(PipelineOptions options) {
      try {
        return Files.createTempDirectory("streamscope-output-").toString();
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot create a temporary output directory", e);
      }
    }
  }
}
