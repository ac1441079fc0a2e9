package dev.streamscope.simulator;

import dev.streamscope.simulator.checkers.Checker;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeMap;

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

  /** Counts of every probe over all seeds: how often each fault struck, each rare path ran. */
  public Map<String, Long> probeTotals() {
    Map<String, Long> totals = new TreeMap<>();
    for (SeedOutcome outcome : outcomes) {
      outcome.run().probes().forEach((probe, count) -> totals.merge(probe, count, Long::sum));
    }
    return totals;
  }

  /**
   * Prints the table, the probe totals, each failing seed's violations and replay command line,
   * and the closing count line.
   */
  void print(PrintStream out, String replayOptions) {
    int faultsWidth = 6;
    for (SeedOutcome outcome : outcomes) {
      faultsWidth = Math.max(faultsWidth, faultList(outcome.faults()).length());
    }
    String row = "%-8s %-" + faultsWidth + "s %12s %9s %9s %8s  %s%n";
    out.printf(Locale.ROOT, row, "seed", "faults", "virtual ms", "wall ms", "tasks", "restarts", "result");
    for (SeedOutcome outcome : outcomes) {
      RunRecord run = outcome.run();
      out.printf(Locale.ROOT, row, run.seed(), faultList(outcome.faults()), run.virtualMillis(),
          run.wallMillis(), run.tasks(), run.restarts(),
          outcome.passed() ? "ok" : "FAILED " + outcome.violations().get(0));
    }
    StringJoiner probes = new StringJoiner(", ");
    probeTotals().forEach((probe, count) -> probes.add(probe + " " + count));
    out.println("struck: " + (probes.length() == 0 ? "nothing" : probes));
    for (SeedOutcome outcome : outcomes) {
      if (!outcome.passed()) {
        out.printf(Locale.ROOT, "seed %d failed:%n", outcome.run().seed());
        outcome.violations().forEach(violation -> out.println("  " + violation));
        out.printf(Locale.ROOT, "  replay with a trace: %s%n", replayCommand(outcome, replayOptions));
      }
    }
    out.println(summary());
  }

  /** The options that replay {@code outcome}'s seed alone and write its trace. */
  static String replayCommand(SeedOutcome outcome, String replayOptions) {
    long seed = outcome.run().seed();
    return (replayOptions.isEmpty() ? "" : replayOptions + " ")
        + "--seed=" + seed + " --faults=" + faultList(outcome.faults())
        + " --traceFile=streamscope-seed-" + seed + ".trace";
  }

  /** The closing line, {@code N passed, M failed}. */
  public String summary() {
    return passed() + " passed, " + failed() + " failed";
  }
}
