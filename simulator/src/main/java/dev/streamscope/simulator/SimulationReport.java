package dev.streamscope.simulator;

import dev.streamscope.simulator.checkers.Checker;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.StringJoiner;

/** The table of seeds a simulation prints, and its verdict. */
public final class SimulationReport {
  /** One simulated seed and what the checkers said. */
  public record SeedOutcome(RunRecord run, Set<Faults> faults, List<String> violations) {
    public boolean passed() {
      return violations.isEmpty();
    }
  }

  private final List<SeedOutcome> outcomes = new ArrayList<>();

  void add(SeedOutcome outcome) {
    outcomes.add(outcome);
  }

  public List<SeedOutcome> outcomes() {
    return outcomes;
  }

  public long passed() {
    return outcomes.stream().filter(SeedOutcome::passed).count();
  }

  public long failed() {
    return outcomes.size() - passed();
  }

  static String faultList(Set<Faults> faults) {
    if (faults.isEmpty()) {
      return "none";
    }
    StringJoiner names = new StringJoiner(",");
    faults.forEach(fault -> names.add(fault.optionName()));
    return names.toString();
  }

  static List<String> check(List<Checker> checkers, RunRecord reference, RunRecord run) {
    List<String> violations = new ArrayList<>();
    for (Checker checker : checkers) {
      checker.check(reference, run).ifPresent(problem -> violations.add(checker.name() + ": " + problem));
    }
    return violations;
  }

  /** Prints the table, each failing seed's replay command, and the closing count line. */
  void print(PrintStream out) {
    out.printf(Locale.ROOT, "%-8s %-40s %12s %9s %9s %8s  %s%n", "seed", "faults", "virtual ms",
        "wall ms", "tasks", "restarts", "result");
    for (SeedOutcome outcome : outcomes) {
      RunRecord run = outcome.run();
      out.printf(Locale.ROOT, "%-8d %-40s %12d %9d %9d %8d  %s%n", run.seed(),
          faultList(outcome.faults()), run.virtualMillis(), run.wallMillis(), run.tasks(), run.restarts(),
          outcome.passed() ? "ok" : "FAILED " + outcome.violations().get(0));
    }
    for (SeedOutcome outcome : outcomes) {
      if (!outcome.passed()) {
        out.printf(Locale.ROOT, "seed %d failed:%n", outcome.run().seed());
        outcome.violations().forEach(violation -> out.println("  " + violation));
        out.printf(Locale.ROOT, "  replay: --runner=StreamScopeSimulation --seed=%d --faults=%s%n",
            outcome.run().seed(), faultList(outcome.faults()));
      }
    }
    out.println(summary());
  }

  /** The closing line, {@code N passed, M failed}. */
  public String summary() {
    return passed() + " passed, " + failed() + " failed";
  }
}
