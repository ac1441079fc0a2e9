package dev.streamscope.translation.runtime;

import java.util.List;
import org.apache.beam.sdk.values.WindowedValue;

/**
 * Takes the elements of one PCollection inside a fused stage, and the processing-time advances
 * that travel with them when the job's processing time is logical (see {@link
 * FusedStageOperator}).
 */
@FunctionalInterface
public interface Receiver {
  void accept(WindowedValue<?> element) throws Exception;

  /** Processing time reached {@code nowMillis}, after every element accepted so far. */
  default void processingTime(long nowMillis) throws Exception {}

  /** A receiver that drops everything (a PCollection nobody reads). */
  Receiver DISCARD = element -> {};

  /** Delivers to every receiver in order. */
  static Receiver fanOut(List<Receiver> receivers) {
    if (receivers.isEmpty()) {
      return DISCARD;
    }
    if (receivers.size() == 1) {
      return receivers.get(0);
    }
    Receiver[] all = receivers.toArray(new Receiver[0]);
    return new Receiver() {
      @Override
      public void accept(WindowedValue<?> element) throws Exception {
        for (Receiver receiver : all) {
          receiver.accept(element);
        }
      }

      @Override
      public void processingTime(long nowMillis) throws Exception {
        for (Receiver receiver : all) {
          receiver.processingTime(nowMillis);
        }
      }
    };
  }
}
