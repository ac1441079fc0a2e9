package dev.streamscope.simulator;

import org.apache.beam.runners.core.metrics.MetricsContainerStepMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricResults;
import org.joda.time.Duration;

/**
 * The outcome of a simulation: DONE if every seed passed, else FAILED, and then {@link
 * #waitUntilFinish()} throws with the report's summary. Metrics are the reference run's.
 */
public final class SimulationResult implements PipelineResult {
  private final SimulationReport report;
  private final MetricsContainerStepMap referenceMetrics;

  SimulationResult(SimulationReport report, MetricsContainerStepMap referenceMetrics) {
    this.report = report;
    this.referenceMetrics = referenceMetrics;
  }

  public SimulationReport report() {
    return report;
  }

  @Override
  public State getState() {
    return report.failed() == 0 ? State.DONE : State.FAILED;
  }

  @Override
  public State cancel() {
    return getState();
  }

  @Override
  public State waitUntilFinish(Duration duration) {
    return waitUntilFinish();
  }

  @Override
  public State waitUntilFinish() {
    if (report.failed() > 0) {
      throw new Pipeline.PipelineExecutionException(
          new AssertionError("StreamScope simulation: " + report.summary()));
    }
    return State.DONE;
  }

  @Override
  public MetricResults metrics() {
    return MetricsContainerStepMap.asMetricResults(referenceMetrics, referenceMetrics);
  }
}
