package dev.streamscope.translation.runtime;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.joda.time.Instant;

/**
 * An unbounded source over a fixed list of longs, each its own timestamp (in millis), dealt
 * round-robin to its splits. Its checkpoint mark is the number of records read; its watermark is
 * the last record's timestamp, and the end of time once all are read. Optionally without a
 * checkpoint-mark coder (such a source cannot be snapshotted). With a log name, each finalized
 * mark adds its position to {@link #finalized}{@code (name)}.
 */
final class ListUnboundedSource extends UnboundedSource<Long, ListUnboundedSource.Position> {
  private static final java.util.Map<String, List<Integer>> FINALIZED =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** How many records of the split were read. */
  record Position(int next, String log) implements UnboundedSource.CheckpointMark, Serializable {
    @Override
    public void finalizeCheckpoint() {
      if (log != null) {
        finalized(log).add(next);
      }
    }
  }

  /** The positions of the marks finalized so far under {@code log}, in order. */
  static List<Integer> finalized(String log) {
    return FINALIZED.computeIfAbsent(log, l -> java.util.Collections.synchronizedList(new ArrayList<>()));
  }

  private final List<Long> values;
  private final boolean hasMarkCoder;
  private final String log;

  ListUnboundedSource(List<Long> values, boolean hasMarkCoder) {
    this(values, hasMarkCoder, null);
  }

  ListUnboundedSource(List<Long> values, boolean hasMarkCoder, String log) {
    this.values = List.copyOf(values);
    this.hasMarkCoder = hasMarkCoder;
    this.log = log;
  }

  @Override
  public List<ListUnboundedSource> split(int desiredNumSplits, PipelineOptions options) {
    List<ListUnboundedSource> splits = new ArrayList<>();
    for (int s = 0; s < desiredNumSplits; s++) {
      List<Long> share = new ArrayList<>();
      for (int i = s; i < values.size(); i += desiredNumSplits) {
        share.add(values.get(i));
      }
      splits.add(new ListUnboundedSource(share, hasMarkCoder, log));
    }
    return splits;
  }

  @Override
  public UnboundedReader<Long> createReader(PipelineOptions options, Position mark) {
    return new Reader(mark == null ? 0 : mark.next());
  }

  @Override
  public Coder<Position> getCheckpointMarkCoder() {
    return hasMarkCoder ? SerializableCoder.of(Position.class) : null;
  }

  @Override
  public Coder<Long> getOutputCoder() {
    return VarLongCoder.of();
  }

  @Override
  public String toString() {
    return "ListUnboundedSource" + values;
  }

  private final class Reader extends UnboundedReader<Long> {
    private int index;

    Reader(int next) {
      this.index = next - 1;
    }

    @Override
    public boolean start() {
      return advance();
    }

    @Override
    public boolean advance() {
      if (index < values.size()) {
        index++;
      }
      return index < values.size();
    }

    @Override
    public Long getCurrent() {
      return values.get(index);
    }

    @Override
    public Instant getCurrentTimestamp() {
      return new Instant(values.get(index));
    }

    @Override
    public Instant getWatermark() {
      if (index >= values.size()) {
        return BoundedWindow.TIMESTAMP_MAX_VALUE;
      }
      return index < 0 ? BoundedWindow.TIMESTAMP_MIN_VALUE : new Instant(values.get(index));
    }

    @Override
    public CheckpointMark getCheckpointMark() {
      return new Position(Math.min(index + 1, values.size()), log);
    }

    @Override
    public UnboundedSource<Long, ?> getCurrentSource() {
      return ListUnboundedSource.this;
    }

    @Override
    public void close() {}
  }
}
