package dev.streamscope.simulator.checkers;

import dev.streamscope.simulator.RunRecord;
import java.util.Optional;

/** One invariant, checked on a faulty run against the failure-free reference run. */
public interface Checker {
  String name();

  /** Empty if the run keeps the invariant, else what broke it. */
  Optional<String> check(RunRecord reference, RunRecord run);
}
