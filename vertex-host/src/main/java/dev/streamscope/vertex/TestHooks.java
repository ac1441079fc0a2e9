package dev.streamscope.vertex;

/**
 * Deliberate bugs, for tests only: each switch turns one guarantee of the vertex host off, so
 * that the simulator's checkers can be shown to catch its loss (a checker that never fails
 * proves nothing). All are off by default, and no product code sets them; they are read only on
 * paths that are not hot (an input with nothing to read, a regeneration), so they cost nothing
 * when off. A test that sets one resets it in a {@code finally}.
 */
public final class TestHooks {
  private TestHooks() {}

  /**
   * Input determinism broken: when the input channel whose turn it is has nothing yet, the {@link
   * InputMerger} takes the next channel that has, so the interleaving follows arrival (that is,
   * scheduling) instead of stream content.
   */
  public static volatile boolean mergeByArrival;

  /**
   * Recompute broken: {@link Job#regenerate} ignores a request to recompute the output of a
   * finished vertex, so an unpersisted tail its worker's crash lost is never written again.
   */
  public static volatile boolean ignoreRegeneration;

  /**
   * Lost wake-ups not covered: an idle {@link VertexInstance} never re-polls, so a stream
   * notification lost on the way leaves its reader asleep for good.
   */
  public static volatile boolean skipIdleRepoll;
}
