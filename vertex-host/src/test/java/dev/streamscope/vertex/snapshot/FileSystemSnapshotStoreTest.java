package dev.streamscope.vertex.snapshot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileSystemSnapshotStoreTest {
  @TempDir Path dir;
  private FileSystemSnapshotStore store;

  @BeforeEach
  void open() throws Exception {
    FileSystem raw = FileSystem.getLocal(new Configuration()).getRawFileSystem();
    store = new FileSystemSnapshotStore(raw, new org.apache.hadoop.fs.Path(dir.toUri()), 2);
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private List<Path> files() throws Exception {
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(p -> p.getFileName().toString().startsWith("snapshot-")).sorted().toList();
    }
  }

  @Test
  void theNewestVersionIsReadBackAndOlderOnesArePruned() throws Exception {
    assertTrue(store.readLatest("Count#0").isEmpty());
    store.write("Count#0", 1, bytes("one"));
    store.write("Count#0", 2, bytes("two"));
    store.write("Count#0", 3, bytes("three"));
    SnapshotStore.Snapshot latest = store.readLatest("Count#0").orElseThrow();
    assertEquals(3, latest.version());
    assertArrayEquals(bytes("three"), latest.payload());
    assertEquals(2, files().size(), "two versions kept");
    assertTrue(store.readLatest("Count#1").isEmpty(), "other vertices are separate");
  }

  @Test
  void aCorruptNewestSnapshotFallsBackToThePreviousOne() throws Exception {
    store.write("Sum/PerKey#1", 7, bytes("seven"));
    store.write("Sum/PerKey#1", 8, bytes("eight"));
    Path newest = files().get(files().size() - 1);
    try (RandomAccessFile file = new RandomAccessFile(newest.toFile(), "rw")) {
      file.seek(file.length() - 12);
      int b = file.read();
      file.seek(file.length() - 12);
      file.write(b ^ 0x40);
    }
    SnapshotStore.Snapshot latest = store.readLatest("Sum/PerKey#1").orElseThrow();
    assertEquals(7, latest.version());
    assertArrayEquals(bytes("seven"), latest.payload());
  }

  @Test
  void aTornSnapshotFallsBackToo() throws Exception {
    store.write("v#0", 1, bytes("first"));
    store.write("v#0", 2, bytes("second, which will be torn"));
    Path newest = files().get(files().size() - 1);
    try (RandomAccessFile file = new RandomAccessFile(newest.toFile(), "rw")) {
      file.setLength(file.length() / 2);
    }
    assertEquals(1, store.readLatest("v#0").orElseThrow().version());
  }

  @Test
  void aWriteDeletesTemporariesLeftByOlderFailedWrites() throws Exception {
    store.write("v#0", 1, bytes("first"));
    Path vertexDir = files().get(0).getParent();
    // As a write of version 2 that failed after creating its temporary leaves it, and a write of
    // version 9 still under way has its own.
    Path failed = Files.writeString(vertexDir.resolve(".snapshot-0000000000000000002.tmp"), "torn");
    Path underWay = Files.writeString(vertexDir.resolve(".snapshot-0000000000000000009.tmp"), "half");
    store.write("v#0", 3, bytes("third"));
    assertTrue(Files.notExists(failed), "the stale temporary of version 2 is deleted");
    assertTrue(Files.exists(underWay), "a newer version's temporary is not touched");
    assertEquals(3, store.readLatest("v#0").orElseThrow().version());
  }

  @Test
  void filesAreNamedByTheEncodedVertexAndTheVersion() throws Exception {
    store.write("Sum/PerKey#1", 42, bytes("x"));
    assertEquals(
        List.of(dir.resolve("Sum%2FPerKey%231").resolve("snapshot-0000000000000000042")), files());
  }
}
