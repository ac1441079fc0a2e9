package dev.streamscope.runner;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.PipelineRunner;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.testing.PAssert;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runner for tests ({@code --runner=TestStreamScopeRunner}): runs the pipeline to the end,
 * rethrows a failed PAssert as {@link AssertionError}, and checks PAssert's counters like Beam's
 * TestDataflowRunner: no failure, and at least as many successes as the pipeline has assertions.
 *
 * <p>With {@code --injectVertexFailures}, a job that succeeded must have had every planned kill (a
 * run without its kills proves nothing), and each run logs its kills; {@link #injectedKillsSince}
 * lists them over the JVM, for suites that report how many of their tests had one.
 */
public final class TestStreamScopeRunner extends PipelineRunner<PipelineResult> {
  private static final Logger LOG = LoggerFactory.getLogger(TestStreamScopeRunner.class);
  private static final List<String> INJECTED_KILLS = new CopyOnWriteArrayList<>();

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
    PipelineResult.State state;
    try {
      state = result.waitUntilFinish();
    } catch (Pipeline.PipelineExecutionException e) {
      countInjectedKills(result);
      Throwable cause = e.getCause();
      while (cause != null && !(cause instanceof AssertionError)) {
        cause = cause.getCause();
      }
      if (cause != null) {
        throw (AssertionError) cause;
      }
      throw e;
    }
    countInjectedKills(result);
    if (state == PipelineResult.State.DONE
        && result.injectedKills().size() < result.plannedInjectedKills()) {
      throw new AssertionError(
          "Failure injection: the job succeeded with only " + result.injectedKills().size()
              + " of its " + result.plannedInjectedKills() + " planned kills: "
              + result.injectedKills());
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

  /**
   * The injected kills of the pipelines this runner ran in this JVM, from the {@code from}-th on
   * (0: all so far), one line each as {@link StreamScopePipelineResult#injectedKills()} has them.
   */
  public static List<String> injectedKillsSince(int from) {
    return List.copyOf(INJECTED_KILLS.subList(from, INJECTED_KILLS.size()));
  }

  private static void countInjectedKills(StreamScopePipelineResult result) {
    if (result.plannedInjectedKills() > 0) {
      INJECTED_KILLS.addAll(result.injectedKills());
      LOG.info(
          "Failure injection: {} of {} planned kills, {} restarts",
          result.injectedKills().size(),
          result.plannedInjectedKills(),
          result.restarts());
    }
  }

  static long counter(PipelineResult result, String name) {
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
