package dev.streamscope.simulator.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.joda.time.Instant;

/**
 * An unbounded source whose data trickles in: every other poll finds nothing, so the reading
 * vertex idles (a timer of virtual time in the simulator) between elements, like a streaming job
 * waiting for sparse input. Element i has event time i * 10 ms; the watermark follows it.
 */
final class TrickleSource extends UnboundedSource<Long, UnboundedSource.CheckpointMark> {
  private final long first;
  private final long end;
  private final long step;

  TrickleSource(long first, long end, long step) {
    this.first = first;
    this.end = end;
    this.step = step;
  }

  @Override
  public List<TrickleSource> split(int desiredNumSplits, PipelineOptions options) {
    List<TrickleSource> splits = new ArrayList<>();
    for (int i = 0; i < desiredNumSplits; i++) {
      splits.add(new TrickleSource(first + i * step, end, step * desiredNumSplits));
    }
    return splits;
  }

  @Override
  public UnboundedReader<Long> createReader(PipelineOptions options, CheckpointMark mark) {
    return new Reader();
  }

  @Override
  public Coder<CheckpointMark> getCheckpointMarkCoder() {
    return null;
  }

  @Override
  public Coder<Long> getOutputCoder() {
    return VarLongCoder.of();
  }

  private final class Reader extends UnboundedReader<Long> {
    private long next = first;
    private Long current;
    private boolean emptyPoll;

    @Override
    public boolean start() {
      return advance();
    }

    @Override
    public boolean advance() {
      emptyPoll = !emptyPoll;
      if (emptyPoll || next >= end) {
        current = null;
        return false;
      }
      current = next;
      next += step;
      return true;
    }

    @Override
    public Long getCurrent() {
      if (current == null) {
        throw new NoSuchElementException();
      }
      return current;
    }

    @Override
    public Instant getCurrentTimestamp() {
      return new Instant(getCurrent() * 10);
    }

    @Override
    public Instant getWatermark() {
      return next >= end ? BoundedWindow.TIMESTAMP_MAX_VALUE : new Instant(next * 10 - 1);
    }

    @Override
    public CheckpointMark getCheckpointMark() {
      return () -> {};
    }

    @Override
    public UnboundedSource<Long, ?> getCurrentSource() {
      return TrickleSource.this;
    }

    @Override
    public void close() {}
  }
}
