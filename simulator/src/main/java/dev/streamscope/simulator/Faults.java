package dev.streamscope.simulator;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * The fault kinds the simulator injects, each with its own switch. Faults act at the seams
 * (scheduling, clocks, blocking I/O), never by changing product logic.
 */
public enum Faults {
  /** Tasks and stream wake-ups are delayed by a random 0..jitterMsMax: messages reorder. */
  JITTER,
  /** One vertex runs every task much later than the others. */
  STRAGGLER,
  /** Each vertex's clock is offset by up to clockSkewMsMax from virtual time. */
  CLOCK_SKEW,
  /** Blocking I/O (file system calls) takes a random 0..ioLatencyMsMax. */
  SLOW_DISK,
  /** A random vertex instance is killed at a random time; the job must recover it. */
  VERTEX_CRASH,
  /**
   * Every vertex instance of one worker is killed at once. Workers are simulated as hosting the
   * same partition of every stage (worker i runs partition i).
   */
  WORKER_CRASH;

  /** Parses {@code all} or a comma list such as {@code jitter,clock-skew}. */
  public static Set<Faults> parse(String text) {
    if (text == null || text.isBlank() || text.trim().equalsIgnoreCase("none")) {
      return EnumSet.noneOf(Faults.class);
    }
    if (text.trim().equalsIgnoreCase("all")) {
      return EnumSet.allOf(Faults.class);
    }
    Set<Faults> faults = EnumSet.noneOf(Faults.class);
    for (String name : text.split(",")) {
      String normalized = name.trim().toUpperCase(Locale.ROOT).replace('-', '_');
      try {
        faults.add(Faults.valueOf(normalized));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "Invalid option --faults: unknown fault '" + name.trim() + "'; expected all, none or a"
                + " comma list of " + names());
      }
    }
    return faults;
  }

  public String optionName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  private static String names() {
    StringBuilder names = new StringBuilder();
    for (Faults fault : values()) {
      names.append(names.length() == 0 ? "" : ", ").append(fault.optionName());
    }
    return names.toString();
  }
}
