package dev.streamscope.vertex.snapshot;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * Where vertex instances keep their snapshots, each on its own schedule (no global barrier).
 * Methods block on storage: vertices call them through their executor's {@code executeBlocking}.
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
   * The newest intact snapshot of {@code vertexId}; corrupt or torn ones are skipped (with a
   * warning that names them) in favour of the previous one. Empty if there is none.
   */
  default Optional<Snapshot> readLatest(String vertexId) throws IOException {
    List<Snapshot> all = readAll(vertexId);
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
  }

  /**
   * Every intact snapshot of {@code vertexId} still kept, newest first; corrupt or torn ones are
   * skipped with a warning that names them.
   */
  List<Snapshot> readAll(String vertexId) throws IOException;
}
