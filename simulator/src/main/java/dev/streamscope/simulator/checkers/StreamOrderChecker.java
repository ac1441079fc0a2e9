package dev.streamscope.simulator.checkers;

import dev.streamscope.simulator.RunRecord;
import dev.streamscope.simulator.StreamLog;
import java.util.Map;
import java.util.Optional;

/**
 * Stream integrity: every rStream was written seq after seq without gaps, no seq was rewritten
 * with another value (also not after a crash lost the original), and it holds exactly the
 * reference run's events in the reference order, punctuation included (an ordered digest). Since
 * vertices are deterministic and merge inputs by content, any scheduling must give this.
 */
public final class StreamOrderChecker implements Checker {
  @Override
  public String name() {
    return "stream-order";
  }

  @Override
  public Optional<String> check(RunRecord reference, RunRecord run) {
    for (Map.Entry<String, StreamLog> entry : run.streams().entrySet()) {
      StreamLog actual = entry.getValue();
      if (actual.gapAtSeq() >= 0) {
        return Optional.of("stream " + entry.getKey() + " skipped seq " + actual.gapAtSeq());
      }
      if (actual.changedAtSeq() >= 0) {
        return Optional.of(
            "stream " + entry.getKey() + ": seq " + actual.changedAtSeq() + " was rewritten with another value");
      }
      StreamLog expected = reference.streams().get(entry.getKey());
      if (expected != null && actual.orderedHash() != expected.orderedHash()) {
        return Optional.of(
            String.format(
                "stream %s: events or their order differ from the reference run (%d data + %d"
                    + " punctuation, reference %d + %d)",
                entry.getKey(),
                actual.dataEvents(),
                actual.punctuations(),
                expected.dataEvents(),
                expected.punctuations()));
      }
    }
    return Optional.empty();
  }
}
