package dev.streamscope.simulator.checkers;

import dev.streamscope.simulator.RunRecord;
import java.util.Optional;

/**
 * Durability: a crash of a writer's process never loses an event its rStream had reported
 * durable ({@code durableSeq}); the stream recovered from storage holds at least that much. Only
 * persisted streams claim durability, and only worker crashes test it. Does not check that the
 * unpersisted tail is regenerated (liveness and exactly-once see that).
 */
public final class DurabilityChecker implements Checker {
  @Override
  public String name() {
    return "durability";
  }

  @Override
  public Optional<String> check(RunRecord reference, RunRecord run) {
    if (run.durabilityLosses().isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        run.durabilityLosses().get(0)
            + (run.durabilityLosses().size() > 1
                ? " (and " + (run.durabilityLosses().size() - 1) + " more streams)"
                : ""));
  }
}
