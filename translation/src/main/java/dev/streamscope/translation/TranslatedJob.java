package dev.streamscope.translation;

import dev.streamscope.vertex.graph.JobGraph;
import org.apache.beam.runners.core.metrics.MetricsContainerStepMap;

/** A pipeline as StreamScope runs it: the job graph, and the metrics its vertices fill. */
public record TranslatedJob(JobGraph graph, JobMetrics metrics) {
  /** Attempted metrics: all work, including work redone after failures. */
  public MetricsContainerStepMap attemptedMetrics() {
    return metrics.attempted();
  }

  /** Committed metrics: the work the job's current vertex instances stand for. */
  public MetricsContainerStepMap committedMetrics() {
    return metrics.committed();
  }

  /** The attempted metrics, for callers that do not tell attempted from committed. */
  public MetricsContainerStepMap mergedMetrics() {
    return attemptedMetrics();
  }
}
