package dev.streamscope.conformance.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.joda.time.Instant;

/**
 * A streaming source for benchmarks: the numbers 0 to {@code count - 1} at {@code ratePerSecond}
 * (wall clock), number i at event time {@code i * 1000 / ratePerSecond} ms, so event time runs
 * with wall time. Its watermark is the event time of the last number read (numbers only grow), so
 * windows close as it runs and a keyed windowed job's state stays bounded; it reaches the end of
 * time after the last number, so the job ends and its output can be checked. Split j of n reads
 * j, j + n, j + 2n... Unlike {@code GenerateSequence.to(n).withRate(...)}, which Beam reads as a
 * bounded source whose watermark stays at the start of time until the end.
 */
final class PacedSequenceSource extends UnboundedSource<Long, PacedSequenceSource.Mark> {
  private final long count;
  private final long ratePerSecond;
  private final int splitIndex;
  private final int splitCount;

  PacedSequenceSource(long count, long ratePerSecond) {
    this(count, ratePerSecond, 0, 1);
  }

  private PacedSequenceSource(long count, long ratePerSecond, int splitIndex, int splitCount) {
    if (count < 0 || ratePerSecond < 1) {
      throw new IllegalArgumentException("count " + count + ", ratePerSecond " + ratePerSecond);
    }
    this.count = count;
    this.ratePerSecond = ratePerSecond;
    this.splitIndex = splitIndex;
    this.splitCount = splitCount;
  }

  /**
   * Where a reader stands: the next number it reads, and when (wall clock) its split started, which
   * a resumed reader keeps so that it is not held back by the time it was down.
   */
  record Mark(long next, long startedAtMillis) implements UnboundedSource.CheckpointMark {
    @Override
    public void finalizeCheckpoint() {}
  }

  @Override
  public List<PacedSequenceSource> split(int desiredNumSplits, PipelineOptions options) {
    List<PacedSequenceSource> splits = new ArrayList<>();
    for (int j = 0; j < desiredNumSplits; j++) {
      splits.add(new PacedSequenceSource(count, ratePerSecond, j, desiredNumSplits));
    }
    return splits;
  }

  @Override
  public UnboundedReader<Long> createReader(PipelineOptions options, Mark mark) {
    return new Reader(mark);
  }

  @Override
  public Coder<Mark> getCheckpointMarkCoder() {
    return new CustomCoder<>() {
      @Override
      public void encode(Mark mark, OutputStream out) throws IOException {
        VarLongCoder.of().encode(mark.next(), out);
        VarLongCoder.of().encode(mark.startedAtMillis(), out);
      }

      @Override
      public Mark decode(InputStream in) throws IOException {
        return new Mark(VarLongCoder.of().decode(in), VarLongCoder.of().decode(in));
      }
    };
  }

  @Override
  public Coder<Long> getOutputCoder() {
    return VarLongCoder.of();
  }

  private long eventTimeMillis(long number) {
    return number * 1000 / ratePerSecond;
  }

  private final class Reader extends UnboundedReader<Long> {
    private long next;
    private long startedAtMillis;
    private long current = -1;

    Reader(Mark mark) {
      this.next = mark == null ? splitIndex : mark.next();
      this.startedAtMillis = mark == null ? -1 : mark.startedAtMillis();
    }

    @Override
    public boolean start() {
      if (startedAtMillis < 0) {
        startedAtMillis = System.currentTimeMillis();
      }
      return advance();
    }

    @Override
    public boolean advance() {
      if (next >= count) {
        return false;
      }
      // Number i is due once the whole source would have read it at its rate.
      long dueAtMillis = startedAtMillis + eventTimeMillis(next);
      if (System.currentTimeMillis() < dueAtMillis) {
        return false;
      }
      current = next;
      next += splitCount;
      return true;
    }

    @Override
    public Long getCurrent() {
      if (current < 0) {
        throw new NoSuchElementException();
      }
      return current;
    }

    @Override
    public Instant getCurrentTimestamp() {
      return new Instant(eventTimeMillis(getCurrent()));
    }

    @Override
    public Instant getWatermark() {
      if (next >= count) {
        return BoundedWindow.TIMESTAMP_MAX_VALUE;
      }
      return current < 0 ? BoundedWindow.TIMESTAMP_MIN_VALUE : new Instant(eventTimeMillis(current));
    }

    @Override
    public Mark getCheckpointMark() {
      return new Mark(next, startedAtMillis);
    }

    @Override
    public PacedSequenceSource getCurrentSource() {
      return PacedSequenceSource.this;
    }

    @Override
    public void close() {}
  }
}
