package dev.streamscope.vertex.snapshot;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Snapshots kept in this process's memory: for jobs whose rStreams are memory-only (nothing of
 * them survives the process either) and for the simulator. Keeps the newest {@code versionsKept}
 * versions per vertex, like {@link FileSystemSnapshotStore}.
 */
public final class InMemorySnapshotStore implements SnapshotStore {
  private final Map<String, NavigableMap<Long, byte[]>> byVertex = new ConcurrentHashMap<>();
  private final int versionsKept;

  public InMemorySnapshotStore(int versionsKept) {
    if (versionsKept < 1) {
      throw new IllegalArgumentException("versionsKept must be >= 1, was " + versionsKept);
    }
    this.versionsKept = versionsKept;
  }

  @Override
  public int versionsKept() {
    return versionsKept;
  }

  @Override
  public void write(String vertexId, long version, byte[] payload) {
    NavigableMap<Long, byte[]> versions = byVertex.computeIfAbsent(vertexId, id -> new TreeMap<>());
    synchronized (versions) {
      versions.put(version, payload.clone());
      while (versions.size() > versionsKept) {
        versions.pollFirstEntry();
      }
    }
  }

  @Override
  public List<Long> versions(String vertexId) {
    NavigableMap<Long, byte[]> versions = byVertex.get(vertexId);
    if (versions == null) {
      return new ArrayList<>();
    }
    synchronized (versions) {
      return new ArrayList<>(versions.descendingKeySet());
    }
  }

  @Override
  public Optional<Snapshot> read(String vertexId, long version) {
    NavigableMap<Long, byte[]> versions = byVertex.get(vertexId);
    if (versions == null) {
      return Optional.empty();
    }
    synchronized (versions) {
      byte[] payload = versions.get(version);
      return payload == null ? Optional.empty() : Optional.of(new Snapshot(version, payload.clone()));
    }
  }
}
