package dev.streamscope.runner;

import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.PipelineRunner;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.testing.PAssert;

/**
 * The runner for tests ({@code --runner=TestStreamScopeRunner}): runs the pipeline to the end,
 * rethrows a failed PAssert as {@link AssertionError}, and checks PAssert's counters like Beam's
 * TestDataflowRunner: no failure, and at least as many successes as the pipeline has assertions.
 */
public final class TestStreamScopeRunner extends PipelineRunner<PipelineResult> {
  private final StreamScopeRunner delegate;

  private TestStreamScopeRunner(StreamScopeRunner delegate) {
    this.delegate = delegate;
  }

  public static TestStreamScopeRunner fromOptions(PipelineOptions options) {
    return new TestStreamScopeRunner(StreamScopeRunner.fromOptions(options));
  }

  @Override
  public PipelineResult run(Pipeline pipeline) {
    int expectedAssertions = PAssert.countAsserts(pipeline);
    StreamScopePipelineResult result = delegate.run(pipeline);
    try {
      result.waitUntilFinish();
    } catch (Pipeline.PipelineExecutionException e) {
      Throwable cause = e.getCause();
      while (cause != null && !(cause instanceof AssertionError)) {
        cause = cause.getCause();
      }
      if (cause != null) {
        throw (AssertionError) cause;
      }
      throw e;
    }
    long successes = counter(result, PAssert.SUCCESS_COUNTER);
    long failures = counter(result, PAssert.FAILURE_COUNTER);
    if (failures > 0) {
      throw new AssertionError(failures + " PAssert assertions failed");
    }
    if (successes < expectedAssertions) {
      throw new AssertionError(
          "Only " + successes + " of " + expectedAssertions + " PAssert assertions ran and passed");
    }
    return result;
  }

  private static long counter(PipelineResult result, String name) {
    MetricQueryResults metrics =
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named(PAssert.class, name))
                    .build());
    long total = 0;
    for (MetricResult<Long> counter : metrics.getCounters()) {
      total += counter.getCommitted();
    }
    return total;
  }
}
