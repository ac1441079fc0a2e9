package dev.streamscope.translation.runtime;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.transforms.DoFn.BundleFinalizer;
import org.joda.time.Instant;

/**
 * Beam's {@link BundleFinalizer} for one step: the callbacks registered during a bundle run once
 * the bundle finished, unless they expired by then (expiry is wall-clock time, as user code
 * computes it from {@code Instant.now()}, so it is read through the stage's clock seam).
 *
 * <p>"Committed" here means the bundle's outputs were handed to the vertex host (rStreams are
 * in-memory); a persisted rStream would run them after the outputs are durable.
 *
 * <p>Snapshots: callbacks run at the end of the bundle that registered them, and snapshots are
 * taken between bundles, so a snapshot never has a callback to save. A bundle replayed after a
 * restore registers (and runs) its callbacks again: finalization is at least once, as Beam allows
 * for a bundle that is retried.
 */
public final class BundleFinalization implements BundleFinalizer {
  private record Pending(Instant expiry, Callback callback) {}

  private final List<Pending> pending = new ArrayList<>();

  @Override
  public void afterBundleCommit(Instant callbackExpiry, Callback callback) {
    pending.add(new Pending(callbackExpiry, callback));
  }

  /** Fails unless no callback waits: what a snapshot between bundles relies on. */
  public void checkNonePending(String stepName) {
    if (!pending.isEmpty()) {
      throw new IllegalStateException(
          stepName + ": " + pending.size() + " bundle finalization callbacks pending between"
              + " bundles; a snapshot cannot save them");
    }
  }

  /** Runs the callbacks of the bundle that just finished, in registration order. */
  public void bundleCommitted(long nowMillis) throws Exception {
    if (pending.isEmpty()) {
      return;
    }
    List<Pending> due = new ArrayList<>(pending);
    pending.clear();
    for (Pending callback : due) {
      if (callback.expiry().getMillis() >= nowMillis) {
        callback.callback().onBundleSuccess();
      }
    }
  }
}
