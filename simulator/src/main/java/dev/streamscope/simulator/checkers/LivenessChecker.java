package dev.streamscope.simulator.checkers;

import dev.streamscope.simulator.RunRecord;
import java.util.Optional;

/**
 * Liveness: the job finishes within the virtual time bound, without failing. Does not check what
 * it produced (the other checkers do).
 */
public final class LivenessChecker implements Checker {
  @Override
  public String name() {
    return "liveness";
  }

  @Override
  public Optional<String> check(RunRecord reference, RunRecord run) {
    if (run.failure() != null) {
      return Optional.of("the job failed: " + run.failure());
    }
    if (run.stalled()) {
      return Optional.of(
          "the job stalled at " + run.virtualMillis() + " ms of virtual time: vertices wait, and"
              + " nothing is left that could wake them");
    }
    if (!run.finished()) {
      return Optional.of("the job did not finish within " + run.virtualMillis() + " ms of virtual time");
    }
    return Optional.empty();
  }
}
