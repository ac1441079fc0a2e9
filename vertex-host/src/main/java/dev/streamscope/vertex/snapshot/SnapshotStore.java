package dev.streamscope.vertex.snapshot;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * Where vertex instances keep their snapshots, each on its own schedule (no global barrier).
 * Methods block on storage: vertices call them through their executor's {@code executeBlocking}.
 *
 * <p>Reading is two steps, so that a restore reads (and checks) only as many versions as it needs:
 * usually the newest, an older one only if the newer ones are damaged or unusable.
 */
public interface SnapshotStore {
  /** A stored snapshot: its version and the vertex's bytes. */
  record Snapshot(long version, byte[] payload) {}

  /**
   * How many versions of a vertex's snapshots the store keeps (the newest ones). A vertex keeps its
   * inputs back to the oldest of that many stable snapshots, so that a restore can fall back on
   * any of them if the newer ones are damaged.
   */
  default int versionsKept() {
    return 1;
  }

  /** Writes version {@code version} of {@code vertexId}'s snapshot atomically. */
  void write(String vertexId, long version, byte[] payload) throws IOException;

  /**
   * The versions of {@code vertexId}'s snapshots still kept, newest first, damaged ones included
   * (they are found damaged only when read). Empty if there is none.
   */
  List<Long> versions(String vertexId) throws IOException;

  /**
   * Version {@code version} of {@code vertexId}'s snapshot; empty if it is corrupt or torn (with a
   * warning that names it) or no longer kept.
   */
  Optional<Snapshot> read(String vertexId, long version) throws IOException;

  /** The newest intact snapshot of {@code vertexId}, or empty if there is none. */
  default Optional<Snapshot> readLatest(String vertexId) throws IOException {
    for (long version : versions(vertexId)) {
      Optional<Snapshot> snapshot = read(vertexId, version);
      if (snapshot.isPresent()) {
        return snapshot;
      }
    }
    return Optional.empty();
  }
}
