package dev.streamscope.vertex;

import dev.streamscope.rstream.persist.PersistenceStrategy;

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

  /**
   * How the output rStreams of a vertex under this strategy are persisted: {@code persistent}
   * synchronously, before events are visible; {@code checkpoint-replay} not at all (a restarted
   * vertex replays retained in-memory inputs from its snapshot); else as {@code configured}
   * ({@code --rstreamPersistence}, hybrid by default).
   */
  public PersistenceStrategy streamPersistence(PersistenceStrategy configured) {
    return switch (this) {
      case PERSISTENT -> PersistenceStrategy.SYNCHRONOUS;
      case CHECKPOINT_REPLAY -> PersistenceStrategy.MEMORY_ONLY;
      default -> configured;
    };
  }

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
