package dev.streamscope.translation.runtime;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.runners.core.metrics.BoundedTrieData;
import org.apache.beam.runners.core.metrics.DistributionData;
import org.apache.beam.runners.core.metrics.GaugeData;
import org.apache.beam.runners.core.metrics.MetricUpdates;
import org.apache.beam.runners.core.metrics.MetricUpdates.MetricUpdate;
import org.apache.beam.runners.core.metrics.MetricsContainerImpl;
import org.apache.beam.runners.core.metrics.MonitoringInfoEncodings;
import org.apache.beam.runners.core.metrics.MonitoringInfoMetricName;
import org.apache.beam.runners.core.metrics.StringSetData;
import org.apache.beam.sdk.metrics.MetricName;
import org.apache.beam.sdk.util.HistogramData;
import org.apache.beam.vendor.grpc.v1p69p0.com.google.protobuf.ByteString;

/**
 * The metric values of a stage's containers in a snapshot (counters, distributions, gauges,
 * string sets, bounded tries, histograms), and re-applying them to empty containers. Bounded
 * tries and histograms use Beam's own monitoring-info encodings.
 *
 * <p>A gauge keeps its value but not its timestamp: Beam's gauge cells take no timestamp from
 * outside, so a restored gauge counts as set when it was restored.
 */
final class MetricsSnapshot {
  private MetricsSnapshot() {}

  /** Writes the cumulative values of {@code container} (one step's, or the unbound one). */
  static void write(DataOutputStream out, MetricsContainerImpl container) throws IOException {
    MetricUpdates values = container.getCumulative();
    List<MetricUpdate<Long>> counters = list(values.counterUpdates());
    out.writeInt(counters.size());
    for (MetricUpdate<Long> counter : counters) {
      writeName(out, counter.getKey().metricName());
      out.writeLong(counter.getUpdate());
    }
    List<MetricUpdate<DistributionData>> distributions = list(values.distributionUpdates());
    out.writeInt(distributions.size());
    for (MetricUpdate<DistributionData> distribution : distributions) {
      writeName(out, distribution.getKey().metricName());
      DistributionData data = distribution.getUpdate();
      out.writeLong(data.sum());
      out.writeLong(data.count());
      out.writeLong(data.min());
      out.writeLong(data.max());
    }
    List<MetricUpdate<GaugeData>> gauges = list(values.gaugeUpdates());
    out.writeInt(gauges.size());
    for (MetricUpdate<GaugeData> gauge : gauges) {
      writeName(out, gauge.getKey().metricName());
      boolean set = !(gauge.getUpdate() instanceof GaugeData.EmptyGaugeData);
      out.writeBoolean(set);
      if (set) {
        out.writeLong(gauge.getUpdate().value());
      }
    }
    List<MetricUpdate<StringSetData>> stringSets = list(values.stringSetUpdates());
    out.writeInt(stringSets.size());
    for (MetricUpdate<StringSetData> stringSet : stringSets) {
      writeName(out, stringSet.getKey().metricName());
      List<String> elements = new ArrayList<>(stringSet.getUpdate().stringSet());
      elements.sort(null);
      out.writeInt(elements.size());
      for (String element : elements) {
        SnapshotIo.writeString(out, element);
      }
    }
    List<MetricUpdate<BoundedTrieData>> tries = list(values.boundedTrieUpdates());
    out.writeInt(tries.size());
    for (MetricUpdate<BoundedTrieData> trie : tries) {
      writeName(out, trie.getKey().metricName());
      SnapshotIo.writeBytes(
          out, MonitoringInfoEncodings.encodeBoundedTrie(trie.getUpdate()).toByteArray());
    }
    List<MetricUpdate<HistogramData>> histograms = list(values.histogramsUpdates());
    out.writeInt(histograms.size());
    for (MetricUpdate<HistogramData> histogram : histograms) {
      writeName(out, histogram.getKey().metricName());
      SnapshotIo.writeBytes(
          out, MonitoringInfoEncodings.encodeInt64Histogram(histogram.getUpdate()).toByteArray());
    }
  }

  /** Adds what {@link #write} wrote to {@code container}. */
  static void read(DataInputStream in, MetricsContainerImpl container) throws IOException {
    for (int i = in.readInt(); i > 0; i--) {
      container.getCounter(readName(in)).inc(in.readLong());
    }
    for (int i = in.readInt(); i > 0; i--) {
      MetricName name = readName(in);
      long sum = in.readLong();
      long count = in.readLong();
      long min = in.readLong();
      long max = in.readLong();
      container.getDistribution(name).update(sum, count, min, max);
    }
    for (int i = in.readInt(); i > 0; i--) {
      MetricName name = readName(in);
      if (in.readBoolean()) {
        container.getGauge(name).set(in.readLong());
      } else {
        container.getGauge(name);
      }
    }
    for (int i = in.readInt(); i > 0; i--) {
      MetricName name = readName(in);
      int count = in.readInt();
      String[] elements = new String[count];
      for (int e = 0; e < count; e++) {
        elements[e] = SnapshotIo.readString(in);
      }
      container.getStringSet(name).add(elements);
    }
    for (int i = in.readInt(); i > 0; i--) {
      MetricName name = readName(in);
      container
          .getBoundedTrie(name)
          .update(
              MonitoringInfoEncodings.decodeBoundedTrie(
                  ByteString.copyFrom(SnapshotIo.readBytes(in))));
    }
    for (int i = in.readInt(); i > 0; i--) {
      MetricName name = readName(in);
      HistogramData data =
          MonitoringInfoEncodings.decodeInt64Histogram(
              ByteString.copyFrom(SnapshotIo.readBytes(in)));
      container.getHistogram(name, data.getBucketType()).update(data);
    }
  }

  private static <T> List<T> list(Iterable<T> values) {
    List<T> list = new ArrayList<>();
    values.forEach(list::add);
    return list;
  }

  private static void writeName(DataOutputStream out, MetricName name) throws IOException {
    boolean monitoringInfo = name instanceof MonitoringInfoMetricName;
    out.writeBoolean(monitoringInfo);
    if (monitoringInfo) {
      SnapshotIo.writeString(out, ((MonitoringInfoMetricName) name).getUrn());
    } else {
      SnapshotIo.writeString(out, name.getNamespace());
      SnapshotIo.writeString(out, name.getName());
    }
    Map<String, String> labels = new TreeMap<>(name.getLabels());
    out.writeInt(labels.size());
    for (Map.Entry<String, String> label : labels.entrySet()) {
      SnapshotIo.writeString(out, label.getKey());
      SnapshotIo.writeString(out, label.getValue());
    }
  }

  private static MetricName readName(DataInputStream in) throws IOException {
    boolean monitoringInfo = in.readBoolean();
    String first = SnapshotIo.readString(in);
    String name = monitoringInfo ? null : SnapshotIo.readString(in);
    Map<String, String> labels = new TreeMap<>();
    for (int i = in.readInt(); i > 0; i--) {
      labels.put(SnapshotIo.readString(in), SnapshotIo.readString(in));
    }
    if (monitoringInfo) {
      return MonitoringInfoMetricName.named(first, labels);
    }
    return labels.isEmpty() ? MetricName.named(first, name) : MetricName.named(first, name, labels);
  }
}
