package dev.streamscope.translation.runtime;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.TimerInternals;
import org.apache.beam.runners.core.TimerInternals.TimerData;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.joda.time.Instant;

/**
 * The timers of every key of one keyed step, in one queue per time domain ordered by (timestamp,
 * key, timer), so firing is in timestamp order across keys and the same for every run.
 *
 * <p>{@link #forKey} gives runners-core the {@link TimerInternals} of one key; all keys share the
 * watermark and processing time set here.
 */
public final class KeyedTimers {
  /** A timer of one key. */
  public record Timer(ByteKey key, TimerData data) {}

  private static final Comparator<Timer> ORDER =
      (a, b) -> {
        int byTime =
            Long.compare(a.data().getTimestamp().getMillis(), b.data().getTimestamp().getMillis());
        if (byTime != 0) {
          return byTime;
        }
        int byKey = a.key().compareTo(b.key());
        return byKey != 0 ? byKey : a.data().compareTo(b.data());
      };

  private record Id(ByteKey key, StateNamespace namespace, String timerId, String familyId) {}

  private final TreeSet<Timer> eventTimers = new TreeSet<>(ORDER);
  private final TreeSet<Timer> processingTimers = new TreeSet<>(ORDER);
  private final TreeSet<Timer> byOutputTimestamp =
      new TreeSet<>(
          (a, b) -> {
            int byOutput =
                Long.compare(
                    a.data().getOutputTimestamp().getMillis(),
                    b.data().getOutputTimestamp().getMillis());
            return byOutput != 0 ? byOutput : ORDER.compare(a, b);
          });
  private final Map<Id, Timer> byId = new HashMap<>();
  /** Pending timers per key, so a step can tell when a key has none left. */
  private final Map<ByteKey, Integer> countByKey = new HashMap<>();
  private final boolean processingTimersHold;
  private long inputWatermarkMillis = Long.MIN_VALUE;
  private long processingTimeMillis = Long.MIN_VALUE;
  private Instant outputWatermark;

  /** Timers where only event-time timers hold the watermark (runners-core's GroupByKey). */
  public KeyedTimers() {
    this(false);
  }

  /**
   * @param processingTimersHold whether processing-time timers hold the watermark at their output
   *     timestamps too, as user timers do (SimpleDoFnRunner gives them the setting element's
   *     timestamp by default). ReduceFnRunner's processing-time timers carry a processing time as
   *     output timestamp, so they must not hold.
   */
  public KeyedTimers(boolean processingTimersHold) {
    this.processingTimersHold = processingTimersHold;
  }

  public TimerInternals forKey(ByteKey key) {
    return new KeyTimerInternals(key);
  }

  public void setInputWatermark(long watermarkMillis) {
    inputWatermarkMillis = Math.max(inputWatermarkMillis, watermarkMillis);
  }

  /** The watermark the step last reported downstream; runners-core uses it to tell on-time panes. */
  public void setOutputWatermark(long watermarkMillis) {
    outputWatermark = Watermarks.toInstant(watermarkMillis);
  }

  public void setProcessingTime(long nowMillis) {
    processingTimeMillis = Math.max(processingTimeMillis, nowMillis);
  }

  /** Removes and returns the earliest due event-time timer, or null. */
  public Timer pollDueEventTimer() {
    Timer first = eventTimers.isEmpty() ? null : eventTimers.first();
    if (first == null || !Watermarks.isDue(first.data().getTimestamp(), inputWatermarkMillis)) {
      return null;
    }
    remove(first);
    return first;
  }

  /**
   * Removes and returns the earliest due processing-time timer, or null. Like event-time timers
   * (and the DirectRunner's processing-time timers), a timer is due once time is strictly past
   * it: runners-core's processing-time triggers fire only when the time is after their target, so
   * a timer delivered at its own instant would be consumed without firing.
   */
  public Timer pollDueProcessingTimer() {
    if (!processingTimerDue()) {
      return null;
    }
    Timer first = processingTimers.first();
    remove(first);
    return first;
  }

  /** Whether {@link #pollDueProcessingTimer} has a timer to return (no allocation). */
  public boolean processingTimerDue() {
    return !processingTimers.isEmpty()
        && (processingTimeMillis == Long.MAX_VALUE
            || processingTimers.first().data().getTimestamp().getMillis() < processingTimeMillis);
  }

  /** When the earliest processing-time timer becomes due, or {@code Long.MAX_VALUE}. */
  public long nextProcessingTimeMillis() {
    if (processingTimers.isEmpty()) {
      return Long.MAX_VALUE;
    }
    long first = processingTimers.first().data().getTimestamp().getMillis();
    return first == Long.MAX_VALUE ? first : first + 1;
  }

  /** Earliest output timestamp of a pending timer: the watermark hold timers impose. */
  public long holdMillis() {
    return byOutputTimestamp.isEmpty()
        ? Long.MAX_VALUE
        : Watermarks.fromInstant(byOutputTimestamp.first().data().getOutputTimestamp());
  }

  public boolean isEmpty() {
    return byId.isEmpty();
  }

  /** Whether {@code key} has a pending timer. */
  public boolean hasTimers(ByteKey key) {
    return countByKey.containsKey(key);
  }

  /**
   * Writes the times and one block of every timer (key bytes, then the timer with runners-core's
   * {@link TimerInternals.TimerDataCoderV2}, whose namespaces need {@code windowCoder}), in firing
   * order.
   */
  public void snapshot(DataOutputStream out, Coder<? extends BoundedWindow> windowCoder)
      throws IOException {
    out.writeLong(inputWatermarkMillis);
    out.writeLong(processingTimeMillis);
    out.writeBoolean(outputWatermark != null);
    if (outputWatermark != null) {
      out.writeLong(outputWatermark.getMillis());
    }
    TimerInternals.TimerDataCoderV2 coder = TimerInternals.TimerDataCoderV2.of(windowCoder);
    SnapshotIo.writeBlock(
        out,
        block -> {
          block.writeInt(byId.size());
          for (TreeSet<Timer> queue : List.of(eventTimers, processingTimers)) {
            for (Timer timer : queue) {
              SnapshotIo.writeBytes(block, timer.key().bytes());
              SnapshotIo.writeNested(block, coder, timer.data());
            }
          }
        });
  }

  /** Loads what {@link #snapshot} wrote into timers that are still empty. */
  public void restore(DataInputStream in, Coder<? extends BoundedWindow> windowCoder)
      throws IOException {
    if (!byId.isEmpty()) {
      throw new IllegalStateException("Restoring timers into a step that already has timers");
    }
    inputWatermarkMillis = in.readLong();
    processingTimeMillis = in.readLong();
    outputWatermark = in.readBoolean() ? Instant.ofEpochMilli(in.readLong()) : null;
    TimerInternals.TimerDataCoderV2 coder = TimerInternals.TimerDataCoderV2.of(windowCoder);
    SnapshotIo.readBlock(
        in,
        "the timers",
        block -> {
          for (int i = block.readInt(); i > 0; i--) {
            ByteKey key = new ByteKey(SnapshotIo.readBytes(block));
            TimerData data = SnapshotIo.readNested(block, coder);
            if (!TestHooks.skipTimerRestore) {
              set(key, data);
            }
          }
        });
  }

  private void set(ByteKey key, TimerData data) {
    Id id = new Id(key, data.getNamespace(), data.getTimerId(), data.getTimerFamilyId());
    Timer previous = byId.get(id);
    if (previous != null) {
      if (previous.data().equals(data)) {
        return; // Set again as it is (ReduceFnRunner does so for every element of a window).
      }
      remove(previous);
    }
    Timer timer = new Timer(key, data);
    byId.put(id, timer);
    countByKey.merge(key, 1, Integer::sum);
    queueOf(data.getDomain()).add(timer);
    if (data.getDomain() == TimeDomain.EVENT_TIME || processingTimersHold) {
      byOutputTimestamp.add(timer);
    }
  }

  private void delete(ByteKey key, StateNamespace namespace, String timerId, String familyId) {
    Timer timer = byId.get(new Id(key, namespace, timerId, familyId));
    if (timer != null) {
      remove(timer);
    }
  }

  private void remove(Timer timer) {
    TimerData data = timer.data();
    byId.remove(new Id(timer.key(), data.getNamespace(), data.getTimerId(), data.getTimerFamilyId()));
    countByKey.computeIfPresent(timer.key(), (key, count) -> count == 1 ? null : count - 1);
    queueOf(data.getDomain()).remove(timer);
    byOutputTimestamp.remove(timer);
  }

  private TreeSet<Timer> queueOf(TimeDomain domain) {
    return domain == TimeDomain.EVENT_TIME ? eventTimers : processingTimers;
  }

  private final class KeyTimerInternals implements TimerInternals {
    private final ByteKey key;

    KeyTimerInternals(ByteKey key) {
      this.key = key;
    }

    @Override
    public void setTimer(
        StateNamespace namespace,
        String timerId,
        String timerFamilyId,
        Instant target,
        Instant outputTimestamp,
        TimeDomain timeDomain) {
      set(key, TimerData.of(timerId, timerFamilyId, namespace, target, outputTimestamp, timeDomain));
    }

    @Override
    public void setTimer(TimerData timerData) {
      set(key, timerData);
    }

    @Override
    public void deleteTimer(
        StateNamespace namespace, String timerId, String timerFamilyId, TimeDomain timeDomain) {
      delete(key, namespace, timerId, timerFamilyId);
    }

    @Override
    public void deleteTimer(StateNamespace namespace, String timerId, String timerFamilyId) {
      delete(key, namespace, timerId, timerFamilyId);
    }

    @Override
    public void deleteTimer(TimerData timerKey) {
      delete(key, timerKey.getNamespace(), timerKey.getTimerId(), timerKey.getTimerFamilyId());
    }

    @Override
    public Instant currentProcessingTime() {
      return processingTimeMillis == Long.MIN_VALUE
          ? BoundedWindow.TIMESTAMP_MIN_VALUE
          : Watermarks.toInstant(processingTimeMillis);
    }

    @Override
    public Instant currentSynchronizedProcessingTime() {
      return currentProcessingTime();
    }

    @Override
    public Instant currentInputWatermarkTime() {
      return Watermarks.toInstant(inputWatermarkMillis);
    }

    @Override
    public Instant currentOutputWatermarkTime() {
      return outputWatermark;
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof KeyTimerInternals && Objects.equals(key, ((KeyTimerInternals) other).key);
    }

    @Override
    public int hashCode() {
      return key.hashCode();
    }
  }
}
