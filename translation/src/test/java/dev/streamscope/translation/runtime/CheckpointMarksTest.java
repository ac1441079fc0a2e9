package dev.streamscope.translation.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.io.UnboundedSource.CheckpointMark;
import org.junit.jupiter.api.Test;

class CheckpointMarksTest {
  private final List<String> finalized = new ArrayList<>();

  private CheckpointMark mark(String name) {
    return () -> finalized.add(name);
  }

  @Test
  void marksAreFinalizedOnceTheirSnapshotIsStableOldestFirstAndOnce() throws Exception {
    CheckpointMarks marks = new CheckpointMarks("Read");
    marks.add(mark("a1"));
    marks.add(mark("b1"));
    marks.snapshotTaken(1);
    marks.add(mark("a3"));
    marks.snapshotTaken(3);
    marks.snapshotTaken(4); // Nothing read since: no mark.
    marks.add(mark("a5"));
    assertEquals(List.of(), finalized);
    marks.stableUpTo(0);
    assertEquals(List.of(), finalized);
    marks.stableUpTo(1);
    assertEquals(List.of("a1", "b1"), finalized);
    marks.stableUpTo(1);
    assertEquals(List.of("a1", "b1"), finalized, "finalized once");
    marks.snapshotTaken(5);
    marks.stableUpTo(4);
    assertEquals(List.of("a1", "b1", "a3"), finalized, "a5 waits for snapshot 5");
    assertEquals(1, marks.waitingCount());
  }

  /** Snapshot 2's write failed (never stable): snapshot 3 covers its records, so its marks go too. */
  @Test
  void aSnapshotThatNeverBecameStableIsFinalizedWithTheNextStableOne() throws Exception {
    CheckpointMarks marks = new CheckpointMarks("Read");
    marks.add(mark("m2"));
    marks.snapshotTaken(2);
    marks.add(mark("m3"));
    marks.snapshotTaken(3);
    marks.stableUpTo(3);
    assertEquals(List.of("m2", "m3"), finalized);
  }

  @Test
  void theEndIsFinalizedOnlyWhenEverythingIsStable() throws Exception {
    CheckpointMarks marks = new CheckpointMarks("Read");
    marks.add(mark("m1"));
    marks.snapshotTaken(1);
    marks.add(mark("last"));
    marks.endTaken();
    marks.endTaken(); // A second close adds nothing.
    marks.stableUpTo(1);
    assertEquals(List.of("m1"), finalized);
    marks.stableUpTo(Long.MAX_VALUE);
    assertEquals(List.of("m1", "last"), finalized);
    assertEquals(0, marks.waitingCount());
  }

  @Test
  void versionsMustGrow() {
    CheckpointMarks marks = new CheckpointMarks("Read");
    marks.snapshotTaken(2);
    IllegalStateException error = assertThrows(IllegalStateException.class, () -> marks.snapshotTaken(2));
    assertEquals("Read: snapshot 2 taken after snapshot 2", error.getMessage());
  }
}
