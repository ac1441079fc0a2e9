package dev.streamscope.translation.runtime;

import java.util.HashMap;
import java.util.Map;
import org.apache.beam.runners.core.InMemoryStateInternals;
import org.apache.beam.sdk.state.State;
import org.apache.beam.sdk.state.WatermarkHoldState;
import org.joda.time.Instant;

/** The runners-core state of every key of one keyed step, with the watermark holds it carries. */
public final class KeyedStates {
  private final Map<ByteKey, KeyState> states = new HashMap<>();

  /** State of one key; the key object is what {@code StateInternals.getKey()} returns. */
  public KeyState forKey(ByteKey key, Object keyObject) {
    return states.computeIfAbsent(key, k -> new KeyState(keyObject));
  }

  /** Earliest watermark hold over all keys, or {@code Long.MAX_VALUE}. */
  public long holdMillis() {
    long min = Long.MAX_VALUE;
    for (KeyState state : states.values()) {
      Instant hold = state.earliestHold();
      if (hold != null) {
        min = Math.min(min, Watermarks.fromInstant(hold));
      }
    }
    return min;
  }

  /** In-memory state of one key that can report its watermark holds. */
  public static final class KeyState extends InMemoryStateInternals<Object> {
    KeyState(Object key) {
      super(key);
    }

    Instant earliestHold() {
      Instant min = null;
      for (State state : inMemoryState.values()) {
        if (state instanceof WatermarkHoldState) {
          Instant hold = ((WatermarkHoldState) state).read();
          if (hold != null && (min == null || hold.isBefore(min))) {
            min = hold;
          }
        }
      }
      return min;
    }
  }
}
