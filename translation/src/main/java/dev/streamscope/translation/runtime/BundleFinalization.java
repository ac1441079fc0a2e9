package dev.streamscope.translation.runtime;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.transforms.DoFn.BundleFinalizer;
import org.joda.time.Instant;

/**
 * Beam's {@link BundleFinalizer} for one step: a callback registered during a bundle runs once the
 * bundle's outputs are committed durably, i.e. once a snapshot taken after the bundle is stable
 * (see {@code Operator.stableUpTo}). Before that a restore may go back before the bundle, and a
 * callback that acknowledged something (a message queue's delivery) could lose data.
 *
 * <p>Rules, as {@link CheckpointMarks} has them: callbacks registered since the last snapshot
 * belong to the next snapshot taken ({@link #snapshotTaken}); {@link #stableUpTo} runs those of
 * every snapshot up to the stable one, oldest first and in registration order, each once, unless
 * it expired by then (expiry is wall-clock time, as user code computes it from {@code
 * Instant.now()}, so the caller reads it through the stage's clock seam). A snapshot whose write
 * failed never becomes stable itself; its callbacks run with the next stable one, which covers
 * their bundles too. Callbacks registered after the last snapshot belong to the end ({@link
 * #closed}), run by {@code stableUpTo(Operator.EVERYTHING)} once everything the finished stage
 * emitted is durable.
 *
 * <p>Callbacks are closures: no snapshot can hold them. A vertex that dies loses those still
 * waiting; its restored instance replays the bundles after its snapshot, which register them
 * again, and they belong to that instance's own later snapshots (never to the one it was restored
 * from): finalization is at least once, as Beam allows for a retried bundle. A vertex without
 * snapshots (the recompute strategy) is only told {@code EVERYTHING}, after its end: its recovery
 * reads its inputs again from the start, so nothing it did is committed before.
 *
 * <p>The translation makes a stage with such a DoFn a strong production ({@code
 * NondeterministicSteps}): it snapshots whatever its strategy and commits every epoch that wrote
 * something before it reads on, and the host says so right after the commit, so callbacks run
 * between the epochs, as Dataflow runs them after a bundle's commit.
 */
public final class BundleFinalization implements BundleFinalizer {
  private record Registered(Instant expiry, Callback callback) {}

  private record Snapshot(long version, List<Registered> callbacks) {}

  private final String stepName;
  private final ArrayDeque<Snapshot> waiting = new ArrayDeque<>();
  private List<Registered> registered = new ArrayList<>();
  private long lastVersion = Long.MIN_VALUE;

  public BundleFinalization(String stepName) {
    this.stepName = stepName;
  }

  @Override
  public void afterBundleCommit(Instant callbackExpiry, Callback callback) {
    if (callbackExpiry == null || callback == null) {
      throw new IllegalArgumentException(
          stepName + ": afterBundleCommit needs an expiry and a callback, got " + callbackExpiry
              + " and " + callback);
    }
    if (lastVersion == Long.MAX_VALUE) {
      throw new IllegalStateException(
          stepName + ": a bundle finalization callback registered after the step closed");
    }
    registered.add(new Registered(callbackExpiry, callback));
  }

  /** Every callback registered since the last snapshot belongs to snapshot {@code version}. */
  public void snapshotTaken(long version) {
    if (version <= lastVersion) {
      throw new IllegalStateException(
          stepName + ": snapshot " + version + " taken after snapshot " + lastVersion);
    }
    lastVersion = version;
    if (!registered.isEmpty()) {
      waiting.add(new Snapshot(version, registered));
      registered = new ArrayList<>();
    }
  }

  /**
   * The step closed: every callback registered since the last snapshot belongs to the end, run by
   * {@code stableUpTo(Long.MAX_VALUE)}. A second close adds nothing.
   */
  public void closed() {
    if (lastVersion < Long.MAX_VALUE) {
      snapshotTaken(Long.MAX_VALUE);
    }
  }

  /** A restore comes before any bundle: fails if a callback was registered already. */
  public void restored() {
    if (!registered.isEmpty() || !waiting.isEmpty()) {
      throw new IllegalStateException(
          stepName + ": restored after " + pendingCount() + " bundle finalization callbacks were"
              + " registered; a restore comes before any bundle");
    }
  }

  /**
   * Runs, oldest snapshot first and in registration order, the callbacks of every snapshot up to
   * {@code version} that have not expired at {@code nowMillis}. Each is removed before it runs, so
   * none runs twice; one that throws does not keep the others from running, and the first
   * failure is thrown once all ran.
   */
  public void stableUpTo(long version, long nowMillis) throws Exception {
    Exception failure = null;
    while (!waiting.isEmpty() && waiting.peek().version() <= version) {
      for (Registered due : waiting.poll().callbacks()) {
        if (due.expiry().getMillis() < nowMillis) {
          continue; // Expired: Beam drops it.
        }
        try {
          due.callback().onBundleSuccess();
        } catch (Exception e) {
          if (failure == null) {
            failure = e;
          } else {
            failure.addSuppressed(e);
          }
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  /** Whether a callback registered waits for the next snapshot (the one taken next covers it). */
  public boolean awaitsSnapshot() {
    return !registered.isEmpty();
  }

  /** Callbacks registered and not run yet (for tests and checks). */
  public int pendingCount() {
    int count = registered.size();
    for (Snapshot snapshot : waiting) {
      count += snapshot.callbacks().size();
    }
    return count;
  }
}
