package dev.streamscope.translation.runtime;

import org.apache.beam.runners.core.metrics.MetricsContainerImpl;
import org.apache.beam.sdk.metrics.BoundedTrie;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.metrics.Gauge;
import org.apache.beam.sdk.metrics.Histogram;
import org.apache.beam.sdk.metrics.MetricName;
import org.apache.beam.sdk.metrics.MetricsContainer;
import org.apache.beam.sdk.metrics.StringSet;
import org.apache.beam.sdk.util.HistogramData;

/**
 * The metrics container a stage installs on its thread for a whole bundle; it forwards to the
 * container of the step that is running. Switching steps is then a field write instead of a
 * thread-local update per element and step.
 */
final class MetricsSwitch implements MetricsContainer {
  MetricsContainerImpl current;

  MetricsSwitch(MetricsContainerImpl initial) {
    this.current = initial;
  }

  @Override
  public Counter getCounter(MetricName metricName) {
    return current.getCounter(metricName);
  }

  @Override
  public Counter getPerWorkerCounter(MetricName metricName) {
    return current.getPerWorkerCounter(metricName);
  }

  @Override
  public Distribution getDistribution(MetricName metricName) {
    return current.getDistribution(metricName);
  }

  @Override
  public Gauge getGauge(MetricName metricName) {
    return current.getGauge(metricName);
  }

  @Override
  public StringSet getStringSet(MetricName metricName) {
    return current.getStringSet(metricName);
  }

  @Override
  public BoundedTrie getBoundedTrie(MetricName metricName) {
    return current.getBoundedTrie(metricName);
  }

  @Override
  public Histogram getHistogram(MetricName metricName, HistogramData.BucketType bucketType) {
    return current.getHistogram(metricName, bucketType);
  }
}
