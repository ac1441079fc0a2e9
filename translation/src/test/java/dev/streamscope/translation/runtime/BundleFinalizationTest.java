package dev.streamscope.translation.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

class BundleFinalizationTest {
  private static final long NOW_MILLIS = 500;
  private static final Instant LATER = new Instant(1_000);

  private final List<String> ran = new ArrayList<>();
  private final BundleFinalization finalization = new BundleFinalization("Finalize");

  private void register(String name) {
    finalization.afterBundleCommit(LATER, () -> ran.add(name));
  }

  @Test
  void callbacksRunOnlyOnceTheirSnapshotIsStableInOrderAndOnce() throws Exception {
    register("a1");
    register("b1");
    finalization.snapshotTaken(1);
    register("a3");
    finalization.snapshotTaken(3);
    finalization.snapshotTaken(4); // No bundle since: no callback.
    register("a5");
    finalization.stableUpTo(0, NOW_MILLIS);
    assertEquals(List.of(), ran, "nothing is stable yet");
    finalization.stableUpTo(1, NOW_MILLIS);
    assertEquals(List.of("a1", "b1"), ran);
    finalization.stableUpTo(1, NOW_MILLIS);
    assertEquals(List.of("a1", "b1"), ran, "each runs once");
    finalization.stableUpTo(4, NOW_MILLIS);
    assertEquals(List.of("a1", "b1", "a3"), ran, "a5 waits for the next snapshot");
    assertEquals(1, finalization.pendingCount());
    finalization.snapshotTaken(5);
    finalization.stableUpTo(5, NOW_MILLIS);
    assertEquals(List.of("a1", "b1", "a3", "a5"), ran);
    assertEquals(0, finalization.pendingCount());
  }

  @Test
  void expiredCallbacksAreDroppedAtTheTimeTheirSnapshotIsStable() throws Exception {
    finalization.afterBundleCommit(new Instant(600), () -> ran.add("expires at 600"));
    finalization.afterBundleCommit(new Instant(700), () -> ran.add("expires at 700"));
    finalization.snapshotTaken(1);
    finalization.stableUpTo(1, 650);
    assertEquals(List.of("expires at 700"), ran);
    assertEquals(0, finalization.pendingCount(), "an expired callback is dropped, not kept");
  }

  /** Snapshot 2's write failed (never stable): snapshot 3 covers its bundles too. */
  @Test
  void aSnapshotThatNeverBecameStableRunsWithTheNextStableOne() throws Exception {
    register("c2");
    finalization.snapshotTaken(2);
    register("c3");
    finalization.snapshotTaken(3);
    finalization.stableUpTo(3, NOW_MILLIS);
    assertEquals(List.of("c2", "c3"), ran);
  }

  /** Without snapshots (recompute), or after the last one, callbacks wait for the end. */
  @Test
  void callbacksAfterTheLastSnapshotRunOnlyWhenEverythingIsStable() throws Exception {
    register("first");
    register("last");
    finalization.closed();
    finalization.closed(); // A second close adds nothing.
    finalization.stableUpTo(Long.MAX_VALUE - 1, NOW_MILLIS);
    assertEquals(List.of(), ran);
    finalization.stableUpTo(Long.MAX_VALUE, NOW_MILLIS);
    assertEquals(List.of("first", "last"), ran);
    finalization.stableUpTo(Long.MAX_VALUE, NOW_MILLIS);
    assertEquals(List.of("first", "last"), ran);
  }

  /**
   * A restored step gets the callbacks of its replayed bundles again: they belong to its own next
   * snapshot, so being told that the restored one (or an older one) is stable runs none of them.
   */
  @Test
  void aRestoredStepRunsReplayedCallbacksOnlyWithItsOwnNextSnapshot() throws Exception {
    finalization.restored();
    register("replayed");
    finalization.stableUpTo(7, NOW_MILLIS); // Say 7 was the snapshot it was restored from.
    assertEquals(List.of(), ran);
    finalization.snapshotTaken(9);
    finalization.stableUpTo(9, NOW_MILLIS);
    assertEquals(List.of("replayed"), ran);
  }

  @Test
  void aThrowingCallbackDoesNotKeepTheOthersFromRunningAndIsNotRunAgain() throws Exception {
    finalization.afterBundleCommit(
        LATER,
        () -> {
          ran.add("throws");
          throw new IllegalStateException("acknowledge failed");
        });
    register("after");
    finalization.snapshotTaken(1);
    IllegalStateException error =
        assertThrows(IllegalStateException.class, () -> finalization.stableUpTo(1, NOW_MILLIS));
    assertEquals("acknowledge failed", error.getMessage());
    assertEquals(List.of("throws", "after"), ran);
    finalization.stableUpTo(1, NOW_MILLIS);
    assertEquals(List.of("throws", "after"), ran);
  }

  @Test
  void misuseFailsNamingTheStep() {
    finalization.snapshotTaken(2);
    assertEquals(
        "Finalize: snapshot 2 taken after snapshot 2",
        assertThrows(IllegalStateException.class, () -> finalization.snapshotTaken(2)).getMessage());
    register("before restore");
    assertEquals(
        "Finalize: restored after 1 bundle finalization callbacks were registered; a restore comes"
            + " before any bundle",
        assertThrows(IllegalStateException.class, finalization::restored).getMessage());
    finalization.closed();
    assertThrows(IllegalStateException.class, () -> register("after close"));
    assertThrows(
        IllegalArgumentException.class, () -> finalization.afterBundleCommit(null, () -> {}));
  }
}
