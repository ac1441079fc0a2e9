package dev.streamscope.simulator;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * The fault kinds the simulator injects, each with its own switch. Faults act at the seams
 * (scheduling, clocks, blocking I/O, the file system, the notifications and reads between
 * vertices, process deaths), never by changing product logic; the deliberate bugs that show the
 * checkers can fail are not faults but test-only hooks in the product ({@code TestHooks}).
 */
public enum Faults {
  /** Tasks and stream wake-ups are delayed by a random 0..jitterMsMax: messages reorder. */
  JITTER,
  /** One vertex runs every task much later than the others. */
  STRAGGLER,
  /** Each worker's clock is offset by up to clockSkewMsMax from virtual time. */
  CLOCK_SKEW,
  /** Blocking I/O (file system calls) takes a random 0..ioLatencyMsMax. */
  SLOW_DISK,
  /** A random vertex instance is killed at a random time; the job must recover it. */
  VERTEX_CRASH,
  /**
   * Every vertex instance of one worker is killed at once. Workers are simulated as hosting the
   * same partition of every stage (worker i runs partition i). With persisted streams the
   * worker's process dies with them: the streams it wrote lose their memory and unflushed bytes
   * and are recovered from storage.
   */
  WORKER_CRASH,
  /** File system creates and writes fail now and then (persisted streams only). */
  FS_WRITE_FAILURE,
  /** File system {@code hflush}/{@code hsync} calls fail now and then (persisted streams only). */
  FS_FLUSH_FAILURE,
  /** File system opens, reads and listings fail now and then (persisted streams only). */
  FS_READ_FAILURE,
  /**
   * A crash keeps a random prefix of the bytes a writer had not flushed (possibly ending inside a
   * record) instead of none, and a failing write writes a random prefix of its bytes first
   * (persisted streams only).
   */
  TORN_WRITE,
  /** A failed vertex is relaunched a random 1..restartDelayMsMax after the job asked for it. */
  RESTART_DELAY,
  /** Each link between workers delivers stream notifications late, in order. */
  MESSAGE_DELAY,
  /** Some stream notifications between vertices arrive twice. */
  MESSAGE_DUPLICATION,
  /** Each stream notification between vertices gets its own delay: they arrive out of order. */
  MESSAGE_REORDER,
  /**
   * Some stream notifications between vertices never arrive: a reader (or a writer waiting for
   * its reader) is not woken, and must find the news by re-polling on its own.
   */
  MESSAGE_LOSS,
  /**
   * One worker is cut off from the others for a while: notifications across the cut are held
   * and reads of streams across it find nothing, until it heals.
   */
  NETWORK_PARTITION;

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
