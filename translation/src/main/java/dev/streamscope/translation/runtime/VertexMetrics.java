package dev.streamscope.translation.runtime;

import org.apache.beam.runners.core.metrics.MetricsContainerStepMap;

/**
 * The Beam metrics of one operator instance, in two parts: {@link #attempted()}, what its own
 * work reported (user code writes here), and {@link #restored()}, the committed values of the
 * snapshot it was restored from (empty for an instance that started from scratch). Its committed
 * values are the two together: a restored instance continues from its snapshot's count and does
 * not redo what came before it, while a recomputing one redoes everything from zero.
 */
public final class VertexMetrics {
  private final MetricsContainerStepMap attempted = new MetricsContainerStepMap();
  private final MetricsContainerStepMap restored = new MetricsContainerStepMap();

  public MetricsContainerStepMap attempted() {
    return attempted;
  }

  public MetricsContainerStepMap restored() {
    return restored;
  }

  /** What this instance has committed: the restored values plus its own work since. */
  public MetricsContainerStepMap committed() {
    MetricsContainerStepMap committed = new MetricsContainerStepMap();
    committed.updateAll(restored);
    committed.updateAll(attempted);
    return committed;
  }
}
