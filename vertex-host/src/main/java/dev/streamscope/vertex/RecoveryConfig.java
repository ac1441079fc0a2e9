package dev.streamscope.vertex;

import dev.streamscope.vertex.graph.StageSpec;
import dev.streamscope.vertex.snapshot.SnapshotStore;
import java.util.function.Function;

/**
 * How a job survives vertex failures.
 *
 * @param restartsMax restarts allowed per vertex instance before its failure fails the job; 0
 *     fails the job on the first failure
 * @param snapshots where vertices keep their snapshots, or null for none (every vertex then
 *     recovers by recompute: it reads its inputs again from the start, so the job's rStreams must
 *     keep released events readable)
 * @param checkpointIntervalMs least time between two snapshots of one vertex instance
 * @param strategyOfStage the recovery strategy of each stage (by stage id); stages under {@link
 *     RecoveryStrategy#RECOMPUTE} take no snapshots, unless they are nondeterministic
 */
public record RecoveryConfig(
    int restartsMax,
    SnapshotStore snapshots,
    long checkpointIntervalMs,
    Function<String, RecoveryStrategy> strategyOfStage) {
  public RecoveryConfig {
    if (restartsMax < 0) {
      throw new IllegalArgumentException("restartsMax must be >= 0, was " + restartsMax);
    }
    if (checkpointIntervalMs < 1) {
      throw new IllegalArgumentException(
          "checkpointIntervalMs must be >= 1, was " + checkpointIntervalMs);
    }
  }

  /** No recovery: the first failure fails the job. */
  public static RecoveryConfig none() {
    return recompute(0);
  }

  /** Recompute: a failed vertex restarts from the start of its inputs. */
  public static RecoveryConfig recompute(int restartsMax) {
    return new RecoveryConfig(restartsMax, null, 1, stage -> RecoveryStrategy.RECOMPUTE);
  }

  /**
   * Snapshots every {@code checkpointIntervalMs} in each vertex whose stage's strategy is not
   * recompute; a failed vertex restarts from its newest snapshot.
   */
  public static RecoveryConfig snapshots(
      int restartsMax,
      SnapshotStore snapshots,
      long checkpointIntervalMs,
      Function<String, RecoveryStrategy> strategyOfStage) {
    return new RecoveryConfig(restartsMax, snapshots, checkpointIntervalMs, strategyOfStage);
  }

  /**
   * Whether the vertices of {@code stage} take snapshots: those of a nondeterministic stage do
   * whatever its strategy, since they expose their outputs only once a snapshot holds them (a
   * replay from scratch could contradict what their readers saw).
   */
  public boolean snapshotsStage(StageSpec stage) {
    return snapshots != null
        && (stage.nondeterministic()
            || strategyOfStage.apply(stage.id()) != RecoveryStrategy.RECOMPUTE);
  }
}
