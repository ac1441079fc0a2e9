package dev.streamscope.rstream;

/**
 * Deliberate bugs, for tests only: each switch turns one guarantee of the rStreams off, so that
 * the simulator's checkers can be shown to catch its loss (a checker that never fails proves
 * nothing). All are off by default, and no product code sets them; they are read only on paths
 * that are not hot (a rewrite, a flush), so they cost nothing when off. A test that sets one
 * resets it in a {@code finally}.
 */
public final class TestHooks {
  private TestHooks() {}

  /**
   * Uniqueness broken: a write of a seq the stream already holds is appended as a new event at
   * the next seq instead of being absorbed (and checked). A restarted writer then duplicates what
   * it rewrites.
   */
  public static volatile boolean rewritesAppend;

  /**
   * Durability broken: a persisted batch counts as durable without its {@code hflush} or {@code
   * hsync}, so a crash of the writer's process may lose events the stream reported durable.
   */
  public static volatile boolean skipFlushBeforeDurable;
}
