package dev.streamscope.translation.runtime;

import org.apache.beam.sdk.options.PipelineOptions;

/** What the steps of one stage partition share: options, identity, processing time. */
public interface StageRuntime {
  PipelineOptions options();

  int partition();

  int parallelism();

  long nowMillis();
}
