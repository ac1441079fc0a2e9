package dev.streamscope.vertex;

import dev.streamscope.vertex.snapshot.InMemorySnapshotStore;
import dev.streamscope.vertex.snapshot.SnapshotStore;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * Snapshots kept in memory ({@link InMemorySnapshotStore}, three versions), for tests that watch or
 * hold some of the calls: they override those and call {@code super} for the rest.
 */
class ForwardingSnapshotStore implements SnapshotStore {
  final InMemorySnapshotStore stored = new InMemorySnapshotStore(3);

  @Override
  public int versionsKept() {
    return stored.versionsKept();
  }

  @Override
  public void write(String vertexId, long version, byte[] payload) throws IOException {
    stored.write(vertexId, version, payload);
  }

  @Override
  public List<Long> versions(String vertexId) throws IOException {
    return stored.versions(vertexId);
  }

  @Override
  public Optional<Snapshot> read(String vertexId, long version) throws IOException {
    return stored.read(vertexId, version);
  }
}
