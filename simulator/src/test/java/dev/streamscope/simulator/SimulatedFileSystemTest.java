package dev.streamscope.simulator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;

class SimulatedFileSystemTest {
  private final SimulationLoop loop = new SimulationLoop(7);
  private final SimulatedStorage storage = new SimulatedStorage();

  private SimulatedFileSystem client(String name, Set<Faults> faults) {
    return new SimulatedFileSystem(storage, loop, new Probes(), SimulatedFileSystem.Knobs.of(faults), name);
  }

  private SimulatedFileSystem client(String name) {
    return client(name, EnumSet.noneOf(Faults.class));
  }

  private static byte[] bytes(int from, int count) {
    byte[] bytes = new byte[count];
    for (int i = 0; i < count; i++) {
      bytes[i] = (byte) (from + i);
    }
    return bytes;
  }

  private static byte[] readAll(SimulatedFileSystem fs, Path path) throws IOException {
    byte[] buffer = new byte[1 << 16];
    int total = 0;
    try (FSDataInputStream in = fs.open(path)) {
      for (int n; (n = in.read(buffer, total, buffer.length - total)) > 0; ) {
        total += n;
      }
    }
    return Arrays.copyOf(buffer, total);
  }

  @Test
  void readersSeeWhatTheWriterFlushedAndEverythingOnceClosed() throws IOException {
    SimulatedFileSystem writer = client("w");
    SimulatedFileSystem reader = client("r");
    Path path = new Path("/job/s/0.rseg");
    FSDataOutputStream out = writer.create(path, false);
    out.write(bytes(0, 10));
    out.hflush();
    out.write(bytes(10, 5));
    assertArrayEquals(bytes(0, 10), readAll(reader, path));
    assertEquals(10, reader.getFileStatus(path).getLen());
    assertFalse(reader.isFileClosed(path));
    out.close();
    assertArrayEquals(bytes(0, 15), readAll(reader, path));
    assertTrue(reader.isFileClosed(path));
  }

  @Test
  void aCrashLosesWhatWasNotFlushedAndTheLeaseIsRecoveredAMomentLater() throws IOException {
    SimulatedFileSystem writer = client("w");
    SimulatedFileSystem next = client("w.1");
    Path path = new Path("/job/s/0.rseg");
    FSDataOutputStream out = writer.create(path, false);
    out.write(bytes(0, 10));
    out.hsync();
    out.write(bytes(10, 5));
    writer.crash();
    assertThrows(IOException.class, () -> out.write(bytes(15, 1)));
    assertThrows(IOException.class, () -> writer.open(path));
    assertFalse(next.recoverLease(path), "lease recovery takes a moment");
    loop.at(10, "later", () -> {});
    loop.runUntil(() -> false, 10);
    assertTrue(next.recoverLease(path));
    assertTrue(next.isFileClosed(path));
    assertArrayEquals(bytes(0, 10), readAll(next, path));
  }

  @Test
  void aTornWriteCrashKeepsAPrefixOfTheUnflushedBytes() throws IOException {
    int longest = 0;
    for (int attempt = 0; attempt < 20; attempt++) {
      SimulatedFileSystem writer = client("w" + attempt, EnumSet.of(Faults.TORN_WRITE));
      Path path = new Path("/job/s/" + attempt);
      FSDataOutputStream out = writer.create(path, false);
      out.write(bytes(0, 10));
      out.hflush();
      out.write(bytes(10, 50));
      writer.crash();
      storage.file(path.toString()).close();
      byte[] kept = readAll(client("r"), path);
      assertTrue(kept.length >= 10 && kept.length <= 60, "kept " + kept.length);
      assertArrayEquals(bytes(0, kept.length), kept);
      longest = Math.max(longest, kept.length);
    }
    assertTrue(longest > 10, "some crash kept unflushed bytes");
  }

  @Test
  void aRecoveredLeaseFencesTheOldWriter() throws IOException {
    SimulatedFileSystem writer = client("w");
    SimulatedFileSystem other = client("o");
    Path path = new Path("/job/s/0.rseg");
    FSDataOutputStream out = writer.create(path, false);
    out.write(bytes(0, 4));
    out.hflush();
    other.recoverLease(path);
    loop.at(10, "later", () -> {});
    loop.runUntil(() -> false, 10);
    assertTrue(other.recoverLease(path));
    IOException fenced = assertThrows(IOException.class, () -> out.write(bytes(4, 4)));
    assertTrue(fenced.getMessage().contains("lease"), fenced.getMessage());
  }

  @Test
  void namespaceCallsBehaveLikeHdfs() throws IOException {
    SimulatedFileSystem fs = client("c");
    fs.create(new Path("/a/b/1"), false).close();
    fs.create(new Path("/a/b/2"), false).close();
    fs.mkdirs(new Path("/a/c"));
    assertThrows(FileAlreadyExistsException.class, () -> fs.create(new Path("/a/b/1"), false));
    FileStatus[] children = fs.listStatus(new Path("/a"));
    assertEquals("b", children[0].getPath().getName());
    assertTrue(children[0].isDirectory());
    assertEquals(2, fs.listStatus(new Path("/a/b")).length);
    assertTrue(fs.rename(new Path("/a/b"), new Path("/a/d")));
    assertEquals(2, fs.listStatus(new Path("/a/d")).length);
    assertThrows(FileNotFoundException.class, () -> fs.listStatus(new Path("/a/b")));
    assertThrows(IOException.class, () -> fs.delete(new Path("/a/d"), false));
    FSDataOutputStream out = fs.create(new Path("/a/d/3"), false);
    out.write(bytes(0, 8));
    out.close();
    assertTrue(fs.truncate(new Path("/a/d/3"), 3));
    assertArrayEquals(bytes(0, 3), readAll(fs, new Path("/a/d/3")));
    FSDataOutputStream more = fs.append(new Path("/a/d/3"), 4096, null);
    more.write(bytes(3, 2));
    more.close();
    assertArrayEquals(bytes(0, 5), readAll(fs, new Path("/a/d/3")));
    assertTrue(fs.delete(new Path("/a"), true));
    assertFalse(fs.exists(new Path("/a/d/3")));
  }

  @Test
  void renameAndDeleteTakeATreeAndLeaveSiblingsWithTheSamePrefix() throws IOException {
    SimulatedFileSystem fs = client("c");
    for (String path : new String[] {"/s/x/1", "/s/x/deep/2", "/s/x.tmp", "/s/x-1/3", "/s/xy"}) {
      fs.create(new Path(path), false).close();
    }
    assertTrue(fs.rename(new Path("/s/x"), new Path("/t/y")));
    assertEquals(new Path("/t/y/1"), fs.listStatus(new Path("/t/y"))[0].getPath(), "a moved file lists at its new path");
    assertTrue(fs.exists(new Path("/t/y/deep/2")));
    assertFalse(fs.exists(new Path("/s/x/deep")));
    for (String sibling : new String[] {"/s/x.tmp", "/s/x-1/3", "/s/xy"}) {
      assertTrue(fs.exists(new Path(sibling)), sibling + " is not under /s/x");
    }
    assertTrue(fs.delete(new Path("/t/y"), true));
    assertFalse(fs.exists(new Path("/t/y/deep/2")));
    assertTrue(fs.delete(new Path("/s/x-1"), true));
    assertTrue(fs.exists(new Path("/s/x.tmp")));
    assertTrue(fs.exists(new Path("/s/xy")));
  }

  @Test
  void positionedReadsSeeTheRightBytes() throws IOException {
    SimulatedFileSystem fs = client("c");
    FSDataOutputStream out = fs.create(new Path("/f"), false);
    out.write(bytes(0, 100));
    out.close();
    byte[] five = new byte[5];
    try (FSDataInputStream in = fs.open(new Path("/f"))) {
      in.readFully(40, five);
      assertArrayEquals(bytes(40, 5), five);
      in.seek(90);
      assertEquals(90, in.read());
      assertEquals(91, in.getPos());
    }
  }

  @Test
  void injectedFailuresHitTheirOwnCallsAndABrokenStreamStaysBroken() throws IOException {
    int writeFailures = 0;
    int flushFailures = 0;
    SimulatedFileSystem writes = client("w", EnumSet.of(Faults.FS_WRITE_FAILURE));
    SimulatedFileSystem flushes = client("f", EnumSet.of(Faults.FS_FLUSH_FAILURE));
    for (int i = 0; i < 200; i++) {
      try {
        FSDataOutputStream out = writes.create(new Path("/w/" + i), false);
        out.write(bytes(0, 4));
        out.hflush(); // Never fails here: only writes are faulty.
      } catch (IOException e) {
        assertTrue(e.getMessage().startsWith("injected failure: create") || e.getMessage().startsWith("injected failure: write"), e.getMessage());
        writeFailures++;
      }
      FSDataOutputStream out = flushes.create(new Path("/f/" + i), false);
      out.write(bytes(0, 4));
      try {
        out.hflush();
      } catch (IOException e) {
        assertTrue(e.getMessage().startsWith("injected failure: hflush"), e.getMessage());
        flushFailures++;
        IOException broken = assertThrows(IOException.class, () -> out.write(bytes(4, 1)));
        assertTrue(broken.getMessage().contains("broke"), broken.getMessage());
      }
    }
    assertTrue(writeFailures > 5 && writeFailures < 60, "write failures " + writeFailures);
    assertTrue(flushFailures > 2 && flushFailures < 30, "flush failures " + flushFailures);
    SimulatedFileSystem reads = client("r", EnumSet.of(Faults.FS_READ_FAILURE));
    int readFailures = 0;
    for (int i = 0; i < 200; i++) {
      try {
        readAll(reads, new Path("/f/" + i));
      } catch (IOException e) {
        assertTrue(e.getMessage().startsWith("injected failure"), e.getMessage());
        readFailures++;
      }
    }
    assertTrue(readFailures > 5, "read failures " + readFailures);
  }
}
