package dev.streamscope.translation.runtime;

import org.apache.beam.sdk.values.WindowedValue;

/** Takes the elements of one PCollection inside a fused stage. */
@FunctionalInterface
public interface Receiver {
  void accept(WindowedValue<?> element) throws Exception;

  /** A receiver that drops everything (a PCollection nobody reads). */
  Receiver DISCARD = element -> {};

  /** Delivers to every receiver in order. */
  static Receiver fanOut(java.util.List<Receiver> receivers) {
    if (receivers.isEmpty()) {
      return DISCARD;
    }
    if (receivers.size() == 1) {
      return receivers.get(0);
    }
    Receiver[] all = receivers.toArray(new Receiver[0]);
    return element -> {
      for (Receiver receiver : all) {
        receiver.accept(element);
      }
    };
  }
}
