package dev.streamscope.vertex;

/**
 * How a job survives vertex failures.
 *
 * @param restartsMax restarts allowed per vertex instance before its failure fails the job; 0
 *     fails the job on the first failure. A restarted vertex reads its inputs again from the
 *     start, so the job's rStreams must keep released events readable (a retaining in-memory
 *     store, or persisted segments)
 */
public record RecoveryConfig(int restartsMax) {
  public RecoveryConfig {
    if (restartsMax < 0) {
      throw new IllegalArgumentException("restartsMax must be >= 0, was " + restartsMax);
    }
  }

  /** No recovery: the first failure fails the job. */
  public static RecoveryConfig none() {
    return new RecoveryConfig(0);
  }

  /** Recompute: a failed vertex restarts from the start of its inputs. */
  public static RecoveryConfig recompute(int restartsMax) {
    return new RecoveryConfig(restartsMax);
  }
}
