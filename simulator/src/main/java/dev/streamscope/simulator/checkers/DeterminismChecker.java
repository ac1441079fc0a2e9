package dev.streamscope.simulator.checkers;

import dev.streamscope.simulator.RunRecord;
import java.util.Optional;

/**
 * Determinism of the simulation itself: the same seed, run twice, takes the same path (trace hash
 * over every task's time and label) and writes the same streams. Compares a run with its replay,
 * not with the reference run.
 */
public final class DeterminismChecker implements Checker {
  @Override
  public String name() {
    return "determinism";
  }

  @Override
  public Optional<String> check(RunRecord first, RunRecord replay) {
    if (first.traceHash() != replay.traceHash() || first.tasks() != replay.tasks()) {
      return Optional.of(
          String.format(
              "seed %d replayed differently: trace %016x after %d tasks, then %016x after %d",
              first.seed(), first.traceHash(), first.tasks(), replay.traceHash(), replay.tasks()));
    }
    if (first.virtualMillis() != replay.virtualMillis()) {
      return Optional.of(
          "seed " + first.seed() + " replayed to a different virtual end time: "
              + first.virtualMillis() + " then " + replay.virtualMillis());
    }
    return new StreamOrderChecker().check(first, replay).map(problem -> "replay: " + problem);
  }
}
