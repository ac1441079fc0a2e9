package dev.streamscope.translation.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;

import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.runners.core.TimerInternals;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.joda.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class KeyedTimersTest {
  private static final ByteKey KEY = new ByteKey(new byte[] {1});

  private static void setProcessingTimer(
      KeyedTimers timers, String id, long firingMillis, long outputMillis) {
    timers
        .forKey(KEY)
        .setTimer(
            StateNamespaces.global(),
            id,
            "",
            new Instant(firingMillis),
            new Instant(outputMillis),
            TimeDomain.PROCESSING_TIME);
  }

  /** runners-core's processing-time triggers fire only when time is after their target. */
  @Test
  void processingTimersAreDueOnlyOnceTimeIsPastThem() {
    KeyedTimers timers = new KeyedTimers();
    setProcessingTimer(timers, "t", 100, 100);
    assertEquals(101, timers.nextProcessingTimeMillis());
    timers.setProcessingTime(100);
    assertNull(timers.pollDueProcessingTimer());
    timers.setProcessingTime(101);
    TimerInternals.TimerData due = timers.pollDueProcessingTimer().data();
    assertEquals("t", due.getTimerId());
    assertEquals(Long.MAX_VALUE, timers.nextProcessingTimeMillis());
  }

  @Test
  void aKeyHasTimersUntilItsLastIsDeletedOrFired() {
    KeyedTimers timers = new KeyedTimers();
    assertFalse(timers.hasTimers(KEY));
    setProcessingTimer(timers, "a", 100, 100);
    setProcessingTimer(timers, "a", 150, 150); // Moved, not added.
    setProcessingTimer(timers, "b", 200, 200);
    timers.forKey(KEY).deleteTimer(StateNamespaces.global(), "b", "", TimeDomain.PROCESSING_TIME);
    assertTrue(timers.hasTimers(KEY));
    timers.setProcessingTime(1_000);
    assertEquals("a", timers.pollDueProcessingTimer().data().getTimerId());
    assertNull(timers.pollDueProcessingTimer());
    assertFalse(timers.hasTimers(KEY));
  }

  @Test
  void theEndOfTimeMakesEveryProcessingTimerDue() {
    KeyedTimers timers = new KeyedTimers();
    setProcessingTimer(timers, "far", Long.MAX_VALUE / 2, 0);
    timers.setProcessingTime(Long.MAX_VALUE);
    assertNotNull(timers.pollDueProcessingTimer());
  }

  /** User processing-time timers hold the watermark at their output timestamp; others don't. */
  @Test
  void processingTimersHoldOnlyWhenAsked() {
    KeyedTimers userTimers = new KeyedTimers(true);
    setProcessingTimer(userTimers, "t", 5_000, 42);
    assertEquals(42, userTimers.holdMillis());
    userTimers.setProcessingTime(6_000);
    userTimers.pollDueProcessingTimer();
    assertEquals(Long.MAX_VALUE, userTimers.holdMillis());

    KeyedTimers reduceTimers = new KeyedTimers();
    setProcessingTimer(reduceTimers, "t", 5_000, 5_000);
    assertEquals(Long.MAX_VALUE, reduceTimers.holdMillis());
  }

  @AfterEach
  void switchTheBugOff() {
    TestHooks.skipTimerRestore = false;
  }

  /** Snapshots {@code timers}, then restores them into fresh timers, then reads a sentinel. */
  private static KeyedTimers roundTrip(KeyedTimers timers) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      timers.snapshot(out, GlobalWindow.Coder.INSTANCE);
      out.writeInt(0x5E47);
    }
    KeyedTimers restored = new KeyedTimers(true);
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      restored.restore(in, GlobalWindow.Coder.INSTANCE);
      assertEquals(0x5E47, in.readInt(), "the restore read exactly what the snapshot wrote");
    }
    return restored;
  }

  @Test
  void aRestoreBringsBackTheTimesAndTheTimers() throws Exception {
    KeyedTimers timers = new KeyedTimers(true);
    timers.setProcessingTime(7);
    setProcessingTimer(timers, "t", 100, 42);
    KeyedTimers restored = roundTrip(timers);
    assertEquals(42, restored.holdMillis());
    assertEquals(101, restored.nextProcessingTimeMillis());
    assertEquals(new Instant(7), restored.forKey(KEY).currentProcessingTime());
  }

  /** The broken variant the simulator must catch: the times come back, the timers do not. */
  @Test
  void theSkipTimerRestoreHookDropsTheTimersOnly() throws Exception {
    KeyedTimers timers = new KeyedTimers(true);
    timers.setProcessingTime(7);
    setProcessingTimer(timers, "t", 100, 42);
    TestHooks.skipTimerRestore = true;
    KeyedTimers restored = roundTrip(timers);
    assertTrue(restored.isEmpty());
    assertEquals(Long.MAX_VALUE, restored.holdMillis());
    assertEquals(new Instant(7), restored.forKey(KEY).currentProcessingTime());
  }
}
