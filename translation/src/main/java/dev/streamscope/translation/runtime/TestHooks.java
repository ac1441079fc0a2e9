package dev.streamscope.translation.runtime;

/**
 * Deliberate bugs, for tests only: each switch turns one guarantee of the translated operators
 * off, so that the simulator's checkers can be shown to catch its loss (a checker that never
 * fails proves nothing). All are off by default, and no product code sets them; they are read only
 * on paths that are not hot (a restore), so they cost nothing when off. A test that sets one
 * resets it in a {@code finally}.
 */
public final class TestHooks {
  private TestHooks() {}

  /**
   * Snapshots broken: {@link KeyedTimers#restore} reads the saved timers and drops them (the
   * times are restored), so a vertex restored from a snapshot never fires the timers that were
   * pending when it was taken: their windows, user timers and garbage collection never happen.
   */
  public static volatile boolean skipTimerRestore;
}
