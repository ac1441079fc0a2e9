package dev.streamscope.translation;

import dev.streamscope.vertex.graph.JobGraph;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.beam.runners.core.metrics.MetricsContainerStepMap;

/**
 * A pipeline as StreamScope runs it: the job graph, and the metrics maps its vertices fill (one
 * per vertex instance, added as instances are created).
 */
public record TranslatedJob(JobGraph graph, ConcurrentLinkedQueue<MetricsContainerStepMap> metrics) {
  /** The metrics of every vertex so far, merged. */
  public MetricsContainerStepMap mergedMetrics() {
    MetricsContainerStepMap merged = new MetricsContainerStepMap();
    for (MetricsContainerStepMap vertexMetrics : metrics) {
      merged.updateAll(vertexMetrics);
    }
    return merged;
  }
}
