package dev.streamscope.vertex.snapshot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FilterFileSystem;
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
  void versionsListsDamagedOnesTooAndReadSkipsThem() throws Exception {
    store.write("v#0", 1, bytes("first"));
    store.write("v#0", 2, bytes("second, which will be torn"));
    Path newest = files().get(files().size() - 1);
    try (RandomAccessFile file = new RandomAccessFile(newest.toFile(), "rw")) {
      file.setLength(file.length() / 2);
    }
    // A restarted vertex numbers its snapshots above every version listed, the damaged one too.
    assertEquals(List.of(2L, 1L), store.versions("v#0"));
    assertTrue(store.read("v#0", 2).isEmpty(), "the torn one");
    assertArrayEquals(bytes("first"), store.read("v#0", 1).orElseThrow().payload());
    assertTrue(store.read("v#0", 3).isEmpty(), "never written");
    assertEquals(List.of(), store.versions("v#1"));
  }

  @Test
  void aFileHoldingAnotherVersionThanItsNameIsDamaged() throws Exception {
    store.write("v#0", 1, bytes("first"));
    Path first = files().get(0);
    Files.copy(first, first.resolveSibling("snapshot-0000000000000000005"));
    assertEquals(List.of(5L, 1L), store.versions("v#0"));
    assertTrue(store.read("v#0", 5).isEmpty());
    assertEquals(1, store.readLatest("v#0").orElseThrow().version());
  }

  /** Reading the newest snapshot reads no older one: a restore costs one snapshot's bytes. */
  @Test
  void readingAnIntactNewestSnapshotOpensNoOtherFile() throws Exception {
    List<String> opened = new CopyOnWriteArrayList<>();
    FileSystem raw = FileSystem.getLocal(new Configuration()).getRawFileSystem();
    FileSystem counting =
        new FilterFileSystem(raw) {
          @Override
          public FSDataInputStream open(org.apache.hadoop.fs.Path file, int bufferSize)
              throws IOException {
            opened.add(file.getName());
            return super.open(file, bufferSize);
          }
        };
    SnapshotStore threeKept =
        new FileSystemSnapshotStore(counting, new org.apache.hadoop.fs.Path(dir.toUri()), 3);
    threeKept.write("v#0", 1, bytes("first"));
    threeKept.write("v#0", 2, bytes("second"));
    threeKept.write("v#0", 3, bytes("third"));
    assertEquals(List.of(), opened, "writes open nothing for reading");
    Files.write(files().get(0), bytes("not a snapshot")); // Version 1: it would fail if read.

    assertArrayEquals(bytes("third"), threeKept.readLatest("v#0").orElseThrow().payload());
    assertEquals(List.of("snapshot-0000000000000000003"), opened);
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
