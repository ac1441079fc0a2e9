package dev.streamscope.simulator.checkers;

import dev.streamscope.simulator.RunRecord;
import dev.streamscope.simulator.StreamLog;
import java.util.Map;
import java.util.Optional;

/**
 * Exactly-once: every rStream carries the same data elements as in the reference run, byte for
 * byte and as often (a multiset digest): nothing lost, nothing duplicated. Order is {@link
 * StreamOrderChecker}'s business.
 */
public final class ExactlyOnceChecker implements Checker {
  @Override
  public String name() {
    return "exactly-once";
  }

  @Override
  public Optional<String> check(RunRecord reference, RunRecord run) {
    if (!reference.streams().keySet().equals(run.streams().keySet())) {
      return Optional.of("the run wrote other streams than the reference run");
    }
    for (Map.Entry<String, StreamLog> expected : reference.streams().entrySet()) {
      StreamLog actual = run.streams().get(expected.getKey());
      if (actual.dataEvents() != expected.getValue().dataEvents()
          || actual.dataMultisetHash() != expected.getValue().dataMultisetHash()) {
        return Optional.of(
            String.format(
                "stream %s: %d data events (digest %016x), reference %d (digest %016x)",
                expected.getKey(),
                actual.dataEvents(),
                actual.dataMultisetHash(),
                expected.getValue().dataEvents(),
                expected.getValue().dataMultisetHash()));
      }
    }
    return Optional.empty();
  }
}
