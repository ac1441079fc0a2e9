package dev.streamscope.simulator;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * What one simulated run did to the local file system, kept in memory: the files it wrote (by
 * absolute path, with their bytes) and the files of the disk it deleted. Reads see the disk with
 * these changes on top; nothing is written to the disk until {@link #applyToDisk()}, which the
 * simulation calls for the reference run alone. Paths are absolute and normalized.
 */
public final class LocalFilesOverlay {
  private final TreeMap<Path, byte[]> written = new TreeMap<>();
  private final TreeSet<Path> deleted = new TreeSet<>();

  /** The files this run wrote and did not delete, by path. */
  public NavigableMap<Path, byte[]> written() {
    return Collections.unmodifiableNavigableMap(written);
  }

  /** The disk's files (and emptied directories) this run deleted. */
  public NavigableSet<Path> deleted() {
    return Collections.unmodifiableNavigableSet(deleted);
  }

  boolean isFile(Path path) {
    return written.containsKey(path) || !deleted.contains(path) && Files.isRegularFile(path);
  }

  /** A directory of the disk that was not deleted, or one holding a file this run wrote. */
  boolean isDirectory(Path path) {
    if (Files.isDirectory(path) && !deleted.contains(path)) {
      return true;
    }
    return !writtenUnder(path).isEmpty();
  }

  /** The bytes written by this run, or null if {@code path} is the disk's (or nobody's). */
  byte[] writtenBytes(Path path) {
    return written.get(path);
  }

  byte[] read(Path path) throws IOException {
    byte[] bytes = written.get(path);
    if (bytes != null) {
      return bytes;
    }
    if (deleted.contains(path)) {
      throw new NoSuchFileException(path + " (deleted in this simulated run)");
    }
    return Files.readAllBytes(path);
  }

  long sizeBytes(Path path) throws IOException {
    byte[] bytes = written.get(path);
    return bytes != null ? bytes.length : Files.size(path);
  }

  /** The disk's modification time; 0 for a file this run wrote (virtual runs have no wall time). */
  long lastModifiedMillis(Path path) throws IOException {
    return written.containsKey(path) ? 0 : Files.getLastModifiedTime(path).toMillis();
  }

  void write(Path path, byte[] bytes) {
    written.put(path, bytes);
    deleted.remove(path);
  }

  /** Deletes a file, or a directory left without files; a path that does not exist is ignored. */
  void delete(Path path) {
    written.remove(path);
    if (Files.exists(path) && (!Files.isDirectory(path) || filesUnder(path).isEmpty())) {
      deleted.add(path);
    }
  }

  /** Every file below {@code directory}, at any depth, as this run sees them, in path order. */
  SortedSet<Path> filesUnder(Path directory) {
    TreeSet<Path> files = new TreeSet<>();
    if (Files.isDirectory(directory)) {
      try (Stream<Path> walk = Files.walk(directory)) {
        walk.filter(Files::isRegularFile).filter(p -> !deleted.contains(p)).forEach(files::add);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException("Cannot list " + directory + ": " + e.getMessage(), e);
      }
    }
    files.addAll(writtenUnder(directory));
    return files;
  }

  /**
   * The written files below {@code directory}. Paths sort by their bytes, so every path with the
   * directory's name as a prefix ({@code /a/b/x}, but also {@code /a/b-c}) follows it in a row.
   */
  private SortedSet<Path> writtenUnder(Path directory) {
    String prefix = directory.toString();
    TreeSet<Path> files = new TreeSet<>();
    for (Path path : written.tailMap(directory, false).keySet()) {
      if (!path.toString().startsWith(prefix)) {
        break;
      }
      if (path.startsWith(directory)) {
        files.add(path);
      }
    }
    return files;
  }

  /**
   * Makes the disk what this run saw: deletes what it deleted (deepest first; a directory that
   * still holds files is kept), then writes what it wrote.
   */
  void applyToDisk() throws IOException {
    for (Path path : deleted.descendingSet()) {
      try {
        Files.deleteIfExists(path);
      } catch (DirectoryNotEmptyException keptForItsFiles) {
        // Files of the disk the run never saw (written since) keep their directory.
      }
    }
    for (var file : written.entrySet()) {
      Path parent = file.getKey().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.write(file.getKey(), file.getValue());
    }
  }
}
