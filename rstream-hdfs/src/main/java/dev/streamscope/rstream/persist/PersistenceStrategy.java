package dev.streamscope.rstream.persist;

import java.util.Locale;

/**
 * How an rStream is made reliable (DESIGN.md, "Reliability"). The recovery strategies of the
 * vertex host map onto these: {@code recompute} and {@code checkpoint-replay} need no persistence
 * ({@link #MEMORY_ONLY}), {@code hybrid} is {@link #HYBRID}, {@code persistent} is {@link
 * #SYNCHRONOUS}.
 */
public enum PersistenceStrategy {
  /** Events live in memory only; nothing survives the process. */
  MEMORY_ONLY,
  /**
   * Events are visible from memory at once and persisted asynchronously in batches (group
   * commit); readers of lost, unpersisted events get them regenerated (the default).
   */
  HYBRID,
  /** Events become visible only once persisted: storage latency on every hop. */
  SYNCHRONOUS;

  /** Parses the command-line spelling: {@code memory-only}, {@code hybrid}, {@code synchronous}. */
  public static PersistenceStrategy parse(String text) {
    String normalized = text.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    for (PersistenceStrategy strategy : values()) {
      if (strategy.name().equals(normalized)) {
        return strategy;
      }
    }
    throw new IllegalArgumentException(
        "Unknown persistence strategy '" + text + "'; expected one of memory-only, hybrid, synchronous");
  }

  /** The command-line spelling. */
  public String spelling() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
