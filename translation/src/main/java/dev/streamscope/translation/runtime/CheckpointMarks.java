package dev.streamscope.translation.runtime;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.io.UnboundedSource.CheckpointMark;

/**
 * The checkpoint marks a source step took and has not finalized yet, each with the snapshot that
 * holds it, finalized once that snapshot is stable: as Beam's Flink runner finalizes the marks of
 * a checkpoint on {@code notifyCheckpointComplete}. Until then a restore may go back before a
 * mark, and re-read records a finalized mark would have let the source forget (acknowledge).
 *
 * <p>Rules: a mark taken now ({@link #add}) belongs to the next snapshot taken ({@link
 * #snapshotTaken}); {@link #stableUpTo} finalizes the marks of every snapshot up to the stable
 * one, oldest first, each once. A snapshot whose write failed never becomes stable itself, but
 * the next stable one covers every record its marks cover, so they are finalized with it rather
 * than dropped (a dropped mark would leave its records unacknowledged for ever). Marks a step was
 * restored from are never added: the instance that took them finalized them.
 */
public final class CheckpointMarks {
  private record Snapshot(long version, List<CheckpointMark> marks) {}

  private final String stepName;
  private final ArrayDeque<Snapshot> waiting = new ArrayDeque<>();
  private List<CheckpointMark> taken = new ArrayList<>();
  private long lastVersion = Long.MIN_VALUE;

  public CheckpointMarks(String stepName) {
    this.stepName = stepName;
  }

  /** A mark taken now: finalized once the next snapshot is stable. */
  public void add(CheckpointMark mark) {
    taken.add(mark);
  }

  /** Every mark added since the last snapshot belongs to snapshot {@code version}. */
  public void snapshotTaken(long version) {
    if (version <= lastVersion) {
      throw new IllegalStateException(
          stepName + ": snapshot " + version + " taken after snapshot " + lastVersion);
    }
    lastVersion = version;
    if (!taken.isEmpty()) {
      waiting.add(new Snapshot(version, taken));
      taken = new ArrayList<>();
    }
  }

  /**
   * The step closed at its end: every mark added since the last snapshot belongs to the end,
   * finalized by {@code stableUpTo(Long.MAX_VALUE)}.
   */
  public void endTaken() {
    if (lastVersion < Long.MAX_VALUE) {
      snapshotTaken(Long.MAX_VALUE);
    }
  }

  /** Finalizes, oldest first, the marks of every snapshot up to {@code version}. */
  public void stableUpTo(long version) throws java.io.IOException {
    while (!waiting.isEmpty() && waiting.peek().version() <= version) {
      // Removed first: a mark whose finalization throws is not finalized again.
      for (CheckpointMark mark : waiting.poll().marks()) {
        mark.finalizeCheckpoint();
      }
    }
  }

  /** Marks waiting for a stable snapshot (for tests and checks). */
  int waitingCount() {
    int count = taken.size();
    for (Snapshot snapshot : waiting) {
      count += snapshot.marks().size();
    }
    return count;
  }
}
