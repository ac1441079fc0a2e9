package dev.streamscope.translation.runtime.steps;

import dev.streamscope.translation.runtime.CheckpointMarks;
import dev.streamscope.translation.runtime.SnapshotIo;
import dev.streamscope.translation.runtime.SourceStep;
import dev.streamscope.translation.runtime.Watermarks;
import dev.streamscope.vertex.SourceOperator.Status;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.io.UnboundedSource.CheckpointMark;
import org.apache.beam.sdk.values.WindowedValues;

/**
 * A primitive unbounded Read: this partition polls the readers of its splits in turn. Watermark:
 * the minimum of its readers' watermarks; done once every reader's watermark is at the end of
 * time.
 *
 * <p>Snapshot, as Beam's Flink runner does it: each started reader's checkpoint mark (with the
 * source's checkpoint-mark coder) and watermark. A restore creates each reader from its mark and
 * starts it again, which by Beam's contract resumes after the last record read before the mark;
 * until a restored reader has started, its saved watermark stands in for its own. The marks a
 * snapshot holds are finalized once it is stable ({@link CheckpointMarks}), and the readers' last
 * marks, taken when the read ends, once everything the stage emitted is durable.
 */
public final class UnboundedReadStep<T> extends SourceStep {
  private final List<UnboundedSource<T, ?>> splits;
  private final List<UnboundedSource.UnboundedReader<T>> readers = new ArrayList<>();
  private final boolean[] started;
  /** Where each reader starts from: a restored checkpoint mark, or null for the beginning. */
  private final CheckpointMark[] startMarks;
  /** A restored reader's watermark, which counts until the new reader has started. */
  private final long[] restoredWatermarkMillis;
  private final boolean[] useRestoredWatermark;
  private long watermarkMillis = Long.MIN_VALUE;
  private final CheckpointMarks marks;

  public UnboundedReadStep(String name, List<UnboundedSource<T, ?>> splits) {
    super(name);
    this.marks = new CheckpointMarks(name);
    this.splits = splits;
    this.started = new boolean[splits.size()];
    this.startMarks = new CheckpointMark[splits.size()];
    this.restoredWatermarkMillis = new long[splits.size()];
    this.useRestoredWatermark = new boolean[splits.size()];
  }

  @Override
  protected String snapshotUnsupportedReason() {
    for (UnboundedSource<T, ?> split : splits) {
      if (split.getCheckpointMarkCoder() == null) {
        return "unbounded source " + split + " has no checkpoint-mark coder";
      }
    }
    return null;
  }

  /** Creates the readers, from the restored marks if any, on the first call. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private void createReaders() throws IOException {
    for (int i = 0; i < splits.size(); i++) {
      UnboundedSource split = splits.get(i);
      readers.add(split.createReader(options(), startMarks[i]));
    }
  }

  @Override
  protected Status emit(int maxElements) throws Exception {
    if (readers.isEmpty() && !splits.isEmpty()) {
      createReaders();
    }
    int emitted = 0;
    boolean anyAvailable = true;
    while (emitted < maxElements && anyAvailable) {
      anyAvailable = false;
      for (int i = 0; i < readers.size() && emitted < maxElements; i++) {
        UnboundedSource.UnboundedReader<T> reader = readers.get(i);
        boolean available;
        if (!started[i]) {
          started[i] = true;
          useRestoredWatermark[i] = false;
          available = reader.start();
        } else {
          available = reader.advance();
        }
        if (available) {
          anyAvailable = true;
          output(
              0,
              WindowedValues.timestampedValueInGlobalWindow(
                  reader.getCurrent(), reader.getCurrentTimestamp()));
          emitted++;
        }
      }
    }
    long min = Long.MAX_VALUE;
    for (int i = 0; i < readers.size(); i++) {
      min = Math.min(min, readerWatermarkMillis(i));
    }
    watermarkMillis = Math.max(watermarkMillis, min);
    if (watermarkMillis == Long.MAX_VALUE) {
      return Status.DONE;
    }
    return emitted == maxElements ? Status.MORE : Status.IDLE;
  }

  private long readerWatermarkMillis(int i) {
    return useRestoredWatermark[i]
        ? restoredWatermarkMillis[i]
        : Watermarks.fromInstant(readers.get(i).getWatermark());
  }

  @Override
  protected long sourceWatermarkMillis() {
    return watermarkMillis;
  }

  /** Per split: whether it has a position (a mark), the mark, and the reader's watermark. */
  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  protected void snapshot(DataOutputStream out) throws IOException {
    out.writeLong(watermarkMillis);
    out.writeInt(splits.size());
    for (int i = 0; i < splits.size(); i++) {
      CheckpointMark mark = started[i] ? readers.get(i).getCheckpointMark() : startMarks[i];
      if (started[i]) {
        marks.add(mark);
      }
      out.writeBoolean(mark != null);
      if (mark != null) {
        SnapshotIo.writeValue(out, (Coder) splits.get(i).getCheckpointMarkCoder(), mark);
        out.writeLong(started[i] ? readerWatermarkMillis(i) : restoredWatermarkMillis[i]);
      }
    }
    marks.snapshotTaken(snapshotVersion());
  }

  @Override
  protected void stableUpTo(long snapshotVersion) throws IOException {
    marks.stableUpTo(snapshotVersion);
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  protected void restore(DataInputStream in) throws IOException {
    watermarkMillis = in.readLong();
    int count = in.readInt();
    if (count != splits.size()) {
      throw new IllegalStateException(
          name() + ": snapshot has " + count + " splits, this partition " + splits.size());
    }
    for (int i = 0; i < count; i++) {
      if (in.readBoolean()) {
        Coder markCoder = splits.get(i).getCheckpointMarkCoder();
        startMarks[i] = (CheckpointMark) SnapshotIo.readValue(in, markCoder);
        restoredWatermarkMillis[i] = in.readLong();
        useRestoredWatermark[i] = true;
      }
    }
  }

  @Override
  protected void close() throws Exception {
    boolean ended = watermarkMillis == Long.MAX_VALUE; // Not a cancellation: the read is done.
    for (int i = 0; i < readers.size(); i++) {
      if (ended && started[i]) {
        marks.add(readers.get(i).getCheckpointMark());
      }
      readers.get(i).close();
    }
    if (ended) {
      marks.endTaken();
    }
    readers.clear();
  }
}
