package dev.streamscope.translation.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.runners.core.TimerInternals;
import org.apache.beam.sdk.state.TimeDomain;
import org.joda.time.Instant;
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
}
