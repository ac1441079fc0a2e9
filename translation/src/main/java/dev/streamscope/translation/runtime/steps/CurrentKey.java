package dev.streamscope.translation.runtime.steps;

import dev.streamscope.translation.runtime.ByteKey;
import dev.streamscope.translation.runtime.KeyedStates;
import dev.streamscope.translation.runtime.KeyedTimers;
import java.util.HashMap;
import java.util.Map;
import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateTag;
import org.apache.beam.runners.core.StepContext;
import org.apache.beam.runners.core.TimerInternals;
import org.apache.beam.sdk.state.State;
import org.apache.beam.sdk.state.StateContext;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.transforms.DoFn.BundleFinalizer;
import org.joda.time.Instant;

/**
 * The key a keyed step is working on, and the state and timers of every key. runners-core gets one
 * {@link StateInternals} and {@link TimerInternals} that always mean "the current key's".
 */
final class CurrentKey implements StepContext {
  final KeyedStates states;
  final KeyedTimers timers = new KeyedTimers(true);
  private final Map<ByteKey, TimerInternals> timerViews = new HashMap<>();
  private KeyedStates.KeyState state;
  private TimerInternals timerView;
  private ByteKey key;
  private final BundleFinalizer bundleFinalizer;

  CurrentKey(BundleFinalizer bundleFinalizer, KeyedStates.KeyDecoder keyDecoder) {
    this.bundleFinalizer = bundleFinalizer;
    this.states = new KeyedStates(keyDecoder);
  }

  @Override
  public BundleFinalizer bundleFinalizer() {
    return bundleFinalizer;
  }

  void set(ByteKey key, Object keyObject) {
    this.key = key;
    this.state = states.forKey(key, keyObject);
    this.timerView = timerViews.computeIfAbsent(key, timers::forKey);
  }

  /**
   * After a timer of the current key fired: drops the cells of its windows that hold nothing any
   * more, and the key itself once it holds nothing and waits for no timer (see {@link
   * KeyedStates#forgetKeyIfEmpty}); then there is no current key until the next {@link #set}.
   */
  void forgetIfDone() {
    state.forgetEmptyWindows();
    if (!timers.hasTimers(key) && states.forgetKeyIfEmpty(key)) {
      timerViews.remove(key);
      key = null;
      state = null;
      timerView = null;
    }
  }

  ByteKey key() {
    return key;
  }

  Object keyObject() {
    return state.getKey();
  }

  long holdMillis() {
    return Math.min(states.holdMillis(), timers.holdMillis());
  }

  @Override
  public StateInternals stateInternals() {
    return stateProxy;
  }

  @Override
  public TimerInternals timerInternals() {
    return timerProxy;
  }

  private final StateInternals stateProxy =
      new StateInternals() {
        @Override
        public Object getKey() {
          return state.getKey();
        }

        @Override
        public <T extends State> T state(
            StateNamespace namespace, StateTag<T> address, StateContext<?> c) {
          return state.state(namespace, address, c);
        }
      };

  private final TimerInternals timerProxy =
      new TimerInternals() {
        @Override
        public void setTimer(
            StateNamespace namespace,
            String timerId,
            String timerFamilyId,
            Instant target,
            Instant outputTimestamp,
            TimeDomain timeDomain) {
          timerView.setTimer(namespace, timerId, timerFamilyId, target, outputTimestamp, timeDomain);
        }

        @Override
        public void setTimer(TimerData timerData) {
          timerView.setTimer(timerData);
        }

        @Override
        public void deleteTimer(
            StateNamespace namespace, String timerId, String timerFamilyId, TimeDomain timeDomain) {
          timerView.deleteTimer(namespace, timerId, timerFamilyId, timeDomain);
        }

        @Override
        public void deleteTimer(StateNamespace namespace, String timerId, String timerFamilyId) {
          timerView.deleteTimer(namespace, timerId, timerFamilyId);
        }

        @Override
        public void deleteTimer(TimerData timerKey) {
          timerView.deleteTimer(timerKey);
        }

        @Override
        public Instant currentProcessingTime() {
          return timerView.currentProcessingTime();
        }

        @Override
        public Instant currentSynchronizedProcessingTime() {
          return timerView.currentSynchronizedProcessingTime();
        }

        @Override
        public Instant currentInputWatermarkTime() {
          return timerView.currentInputWatermarkTime();
        }

        @Override
        public Instant currentOutputWatermarkTime() {
          return timerView.currentOutputWatermarkTime();
        }
      };
}
