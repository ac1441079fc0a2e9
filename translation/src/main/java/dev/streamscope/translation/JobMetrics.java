package dev.streamscope.translation;

import dev.streamscope.translation.runtime.VertexMetrics;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.beam.runners.core.metrics.MetricsContainerStepMap;

/**
 * The Beam metrics of a job, attempted and committed. Every operator instance the job creates
 * reports into its own {@link VertexMetrics}; a restarted vertex gets a new instance, which
 * replaces the old one as its vertex's current instance.
 *
 * <ul>
 *   <li>attempted = what translation reported + the work of every instance ever created, the
 *       replaced ones included (work redone after a failure counts again);
 *   <li>committed = what translation reported + the committed values of the current instance of
 *       each vertex (a restored instance starts from its snapshot's values, a recomputing one from
 *       zero and redoes everything), so work a failure threw away is not counted.
 * </ul>
 */
public final class JobMetrics {
  private final MetricsContainerStepMap translation;
  private final ConcurrentLinkedQueue<VertexMetrics> instances = new ConcurrentLinkedQueue<>();
  private final Map<String, VertexMetrics> current = new ConcurrentHashMap<>();

  JobMetrics(MetricsContainerStepMap translation) {
    this.translation = translation;
  }

  /** The metrics of a new operator instance of {@code vertexId}, from now on its current one. */
  VertexMetrics newInstance(String vertexId) {
    VertexMetrics metrics = new VertexMetrics();
    instances.add(metrics);
    current.put(vertexId, metrics);
    return metrics;
  }

  public MetricsContainerStepMap attempted() {
    MetricsContainerStepMap attempted = new MetricsContainerStepMap();
    attempted.updateAll(translation);
    for (VertexMetrics instance : instances) {
      attempted.updateAll(instance.attempted());
    }
    return attempted;
  }

  public MetricsContainerStepMap committed() {
    MetricsContainerStepMap committed = new MetricsContainerStepMap();
    committed.updateAll(translation);
    for (VertexMetrics instance : current.values()) {
      committed.updateAll(instance.committed());
    }
    return committed;
  }
}
