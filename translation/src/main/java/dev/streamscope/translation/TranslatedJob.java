package dev.streamscope.translation;

import dev.streamscope.translation.runtime.StreamPayloads;
import dev.streamscope.vertex.graph.JobGraph;
import org.apache.beam.runners.core.metrics.MetricsContainerStepMap;

/**
 * A pipeline as StreamScope runs it: the job graph, the metrics its vertices fill, how its
 * rStreams' payloads are encoded, and the Beam steps (full transform names) fused into each stage,
 * by stage id.
 */
public record TranslatedJob(
    JobGraph graph,
    JobMetrics metrics,
    StreamPayloads payloads,
    java.util.Map<String, java.util.List<String>> stepsByStage) {
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
