package dev.streamscope.vertex;

/**
 * How a vertex instance gets back to where it was after a failure (see DESIGN.md, "Reliability").
 * Chosen per vertex; {@link #HYBRID} is the default.
 */
public enum RecoveryStrategy {
  /** No snapshots: replay upstream from where dependency tracking says. Cheapest at run time. */
  RECOMPUTE,
  /** Periodic snapshots; replay inputs from the snapshot's positions. */
  CHECKPOINT_REPLAY,
  /** Outputs persisted synchronously before they are visible. Fastest recovery, highest cost. */
  PERSISTENT,
  /** Asynchronous persistence plus snapshots; only the unpersisted tail is recomputed. */
  HYBRID;

  /** Parses the command-line spelling ({@code checkpoint-replay}, {@code hybrid}, ...). */
  public static RecoveryStrategy parse(String text) {
    String normalized = text.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_');
    for (RecoveryStrategy strategy : values()) {
      if (strategy.name().equals(normalized)) {
        return strategy;
      }
    }
    throw new IllegalArgumentException(
        "Unknown recovery strategy '" + text + "'; expected one of recompute, checkpoint-replay,"
            + " persistent, hybrid");
  }
}
