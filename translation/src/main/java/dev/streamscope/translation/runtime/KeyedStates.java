package dev.streamscope.translation.runtime;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.runners.core.InMemoryStateInternals;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateTag;
import org.apache.beam.sdk.state.ReadableState;
import org.apache.beam.sdk.state.State;
import org.apache.beam.sdk.state.StateContext;
import org.apache.beam.sdk.state.WatermarkHoldState;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.joda.time.Instant;

/**
 * The runners-core state of every key of one keyed step. Watermark holds are indexed as they are
 * written, so the step's earliest hold is a lookup, not a scan over every key and window.
 */
public final class KeyedStates {
  private record HoldId(ByteKey key, StateNamespace namespace, String tagId) {}

  private final Map<ByteKey, KeyState> states = new HashMap<>();
  private final Map<HoldId, Long> holdsById = new HashMap<>();
  private final TreeMap<Long, Integer> holdCounts = new TreeMap<>();

  /** State of one key; the key object is what {@code StateInternals.getKey()} returns. */
  public KeyState forKey(ByteKey key, Object keyObject) {
    KeyState state = states.get(key);
    if (state == null) {
      state = new KeyState(key, keyObject);
      states.put(key, state);
    }
    return state;
  }

  /** Earliest watermark hold over all keys, or {@code Long.MAX_VALUE}. */
  public long holdMillis() {
    return holdCounts.isEmpty() ? Long.MAX_VALUE : holdCounts.firstKey();
  }

  private void updateHold(HoldId id, Instant hold) {
    Long previous = hold == null ? holdsById.remove(id) : holdsById.put(id, hold.getMillis());
    if (previous != null) {
      holdCounts.computeIfPresent(previous, (millis, count) -> count == 1 ? null : count - 1);
    }
    if (hold != null) {
      holdCounts.merge(hold.getMillis(), 1, Integer::sum);
    }
  }

  /** In-memory state of one key whose watermark holds report to the step's index. */
  public final class KeyState extends InMemoryStateInternals<Object> {
    private final ByteKey key;

    KeyState(ByteKey key, Object keyObject) {
      super(keyObject);
      this.key = key;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T extends State> T state(
        StateNamespace namespace, StateTag<T> address, StateContext<?> context) {
      T state = super.state(namespace, address, context);
      if (state instanceof WatermarkHoldState) {
        return (T)
            new TrackedHold(
                (WatermarkHoldState) state, new HoldId(key, namespace, address.getId()));
      }
      return state;
    }
  }

  /** A hold that tells the index about every change. */
  private final class TrackedHold implements WatermarkHoldState {
    private final WatermarkHoldState delegate;
    private final HoldId id;

    TrackedHold(WatermarkHoldState delegate, HoldId id) {
      this.delegate = delegate;
      this.id = id;
    }

    @Override
    public void add(Instant value) {
      delegate.add(value);
      updateHold(id, delegate.read());
    }

    @Override
    public void clear() {
      delegate.clear();
      updateHold(id, null);
    }

    @Override
    public Instant read() {
      return delegate.read();
    }

    @Override
    public ReadableState<Boolean> isEmpty() {
      return delegate.isEmpty();
    }

    @Override
    public TimestampCombiner getTimestampCombiner() {
      return delegate.getTimestampCombiner();
    }

    @Override
    public WatermarkHoldState readLater() {
      return this;
    }
  }
}
