package dev.streamscope.simulator;

import java.util.Map;
import java.util.TreeMap;

/**
 * How often each injected fault actually struck in a run, and which rare recovery paths it
 * reached (FoundationDB's {@code CODE_PROBE}): a fault switched on that never strikes proves
 * nothing, so the reports and the scenario tests look at these counts.
 */
final class Probes {
  private final Map<String, Long> counts = new TreeMap<>();

  void hit(String probe) {
    counts.merge(probe, 1L, Long::sum);
  }

  /** Counts by probe name, sorted. */
  Map<String, Long> counts() {
    return counts;
  }
}
