package dev.streamscope.simulator;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.hadoop.fs.Path;

/**
 * The shared storage of a simulated cluster (its HDFS): files and directories in memory, which
 * every worker process reaches through its own {@link SimulatedFileSystem} client. It knows what
 * HDFS guarantees: bytes a writer flushed ({@code hflush}/{@code hsync}) are visible to readers
 * and survive the writer's crash; bytes it only wrote are neither.
 *
 * <p>Paths are absolute strings without scheme ({@code /job/stream/segment}); everything here runs
 * on the simulation's one thread.
 */
final class SimulatedStorage {
  /** One file: its bytes, how many of them are flushed, and its writer while it is open. */
  static final class File {
    byte[] bytes = new byte[256];
    int lengthBytes;
    int flushedBytes;
    long modifiedMillis;
    /** The open output stream that holds the file's lease, or null once the file is closed. */
    Object writer;
    /** Virtual time a lease recovery of the file started, or -1. */
    long leaseRecoveryStartedMillis = -1;
    /** Its path as a Hadoop {@link Path}, built once: a Path parses its string, and lists are frequent. */
    private Path hadoopPath;

    /** This file's Hadoop path; {@code path} is where it is now. */
    Path hadoopPath(String path) {
      if (hadoopPath == null) {
        hadoopPath = new Path(path);
      }
      return hadoopPath;
    }

    /** The file has a new path. */
    void moved() {
      hadoopPath = null;
    }

    void append(byte[] data, int offset, int length) {
      if (lengthBytes + length > bytes.length) {
        bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, lengthBytes + length));
      }
      System.arraycopy(data, offset, bytes, lengthBytes, length);
      lengthBytes += length;
    }

    /** What readers see: the flushed bytes while the file is open, every byte once closed. */
    int visibleBytes() {
      return writer == null ? lengthBytes : flushedBytes;
    }

    /** Keeps the first {@code length} bytes (a crash or truncate). */
    void cut(int length) {
      lengthBytes = Math.min(lengthBytes, length);
      flushedBytes = Math.min(flushedBytes, lengthBytes);
    }

    /** Closes the file at its current length (its lease is over). */
    void close() {
      flushedBytes = lengthBytes;
      writer = null;
      leaseRecoveryStartedMillis = -1;
    }
  }

  /**
   * The character after '/': the paths under {@code dir} are the keys from {@code dir + "/"} up to
   * {@code dir + AFTER_SLASH}, a range of the sorted maps (no scan of every file).
   */
  private static final String AFTER_SLASH = String.valueOf((char) ('/' + 1));

  private final TreeMap<String, File> files = new TreeMap<>();
  private final TreeSet<String> dirs = new TreeSet<>(List.of("/"));

  File file(String path) {
    return files.get(path);
  }

  boolean isDirectory(String path) {
    return dirs.contains(path);
  }

  boolean exists(String path) {
    return files.containsKey(path) || dirs.contains(path);
  }

  /** Creates {@code path} (an empty file) and the directories above it. */
  File create(String path, long nowMillis) {
    mkdirs(parent(path));
    File file = new File();
    file.modifiedMillis = nowMillis;
    files.put(path, file);
    return file;
  }

  void mkdirs(String path) {
    for (String dir = path; !dirs.contains(dir); dir = parent(dir)) {
      dirs.add(dir);
    }
  }

  /** The paths directly under {@code dir}, sorted. */
  List<String> children(String dir) {
    String prefix = dir.equals("/") ? "/" : dir + "/";
    List<String> children = new ArrayList<>();
    for (String path : files.tailMap(prefix).keySet()) {
      if (!path.startsWith(prefix)) {
        break;
      }
      if (path.indexOf('/', prefix.length()) < 0) {
        children.add(path);
      }
    }
    for (String path : dirs.tailSet(prefix, false)) {
      if (!path.startsWith(prefix)) {
        break;
      }
      if (path.indexOf('/', prefix.length()) < 0) {
        children.add(path);
      }
    }
    children.sort(null);
    return children;
  }

  /** Deletes {@code path} and, if it is a directory, everything under it. */
  void delete(String path) {
    files.remove(path);
    dirs.remove(path);
    files.subMap(path + "/", path + AFTER_SLASH).clear();
    dirs.subSet(path + "/", path + AFTER_SLASH).clear();
  }

  /** Moves {@code from} (a file or a directory tree) to {@code to}. */
  void rename(String from, String to) {
    mkdirs(parent(to));
    TreeMap<String, File> moved = new TreeMap<>();
    File file = files.get(from);
    if (file != null) {
      moved.put(to, file);
    }
    files.subMap(from + "/", from + AFTER_SLASH).forEach((path, under) -> moved.put(to + path.substring(from.length()), under));
    moved.values().forEach(File::moved);
    List<String> movedDirs = new ArrayList<>();
    if (dirs.contains(from)) {
      movedDirs.add(to);
    }
    for (String dir : dirs.subSet(from + "/", from + AFTER_SLASH)) {
      movedDirs.add(to + dir.substring(from.length()));
    }
    delete(from);
    files.putAll(moved);
    dirs.addAll(movedDirs);
  }

  /** The files held open by {@code writers} of a process that just died. */
  List<File> openFilesOf(java.util.function.Predicate<Object> writers) {
    List<File> open = new ArrayList<>();
    for (File file : files.values()) {
      if (file.writer != null && writers.test(file.writer)) {
        open.add(file);
      }
    }
    return open;
  }

  static String parent(String path) {
    int slash = path.lastIndexOf('/');
    return slash <= 0 ? "/" : path.substring(0, slash);
  }
}
