package dev.streamscope.vertex.snapshot;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32C;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Snapshots as files on a Hadoop {@link FileSystem} (HDFS, or the raw local file system):
 * {@code <root>/<vertex id, URL-encoded>/snapshot-<version, 19 digits>}. A snapshot is written to
 * a temporary file, flushed with hsync, then renamed into place, so a reader sees either the whole
 * file or none of it. The newest {@code versionsKept} versions are kept.
 *
 * <p>File format: magic {@code SSNP}, format version (int), vertex id (UTF), snapshot version
 * (long), payload length (int), payload, then the CRC32C (long) of everything before it.
 */
public final class FileSystemSnapshotStore implements SnapshotStore {
  private static final Logger LOG = LoggerFactory.getLogger(FileSystemSnapshotStore.class);
  private static final int MAGIC = 0x53534e50; // "SSNP"
  private static final int FORMAT_VERSION = 1;
  private static final String PREFIX = "snapshot-";
  private static final Comparator<FileStatus> NEWEST_FIRST =
      Comparator.comparing((FileStatus f) -> f.getPath().getName()).reversed();

  private final FileSystem fileSystem;
  private final Path root;
  private final int versionsKept;
  private final Map<String, Path> dirs = new ConcurrentHashMap<>();

  public FileSystemSnapshotStore(FileSystem fileSystem, Path root, int versionsKept) {
    if (versionsKept < 1) {
      throw new IllegalArgumentException("versionsKept must be >= 1, was " + versionsKept);
    }
    this.fileSystem = fileSystem;
    this.root = root;
    this.versionsKept = versionsKept;
  }

  private Path dirOf(String vertexId) {
    // Built once per vertex: a Path parses its string, and a vertex snapshots often.
    return dirs.computeIfAbsent(vertexId, id -> new Path(root, URLEncoder.encode(id, StandardCharsets.UTF_8)));
  }

  /**
   * {@code dir/name}, as {@code new Path(dir, name)} but parsed once instead of four times (a
   * vertex snapshots often); {@code name} is one of this store's file names, a plain one.
   */
  private static Path child(Path dir, String name) {
    URI uri = dir.toUri();
    return new Path(uri.getScheme(), uri.getAuthority(), uri.getPath() + "/" + name);
  }

  /** {@code snapshot-} and the version in 19 digits, so that names sort as versions do. */
  private static String fileName(long version) {
    if (version < 0) {
      throw new IllegalArgumentException("snapshot version must be >= 0, was " + version);
    }
    String digits = Long.toString(version);
    return PREFIX + "0".repeat(19 - digits.length()) + digits;
  }

  @Override
  public int versionsKept() {
    return versionsKept;
  }

  @Override
  public void write(String vertexId, long version, byte[] payload) throws IOException {
    Path dir = dirOf(vertexId);
    fileSystem.mkdirs(dir);
    String name = fileName(version);
    Path temporary = child(dir, "." + name + ".tmp");
    // A writer that died mid-write (its process, or a killed instance) may have left this
    // temporary, on HDFS still leased to it; deleting it breaks the lease, create would not.
    fileSystem.delete(temporary, false);
    try (FSDataOutputStream out = fileSystem.create(temporary, true)) {
      out.write(encode(vertexId, version, payload));
      out.hsync();
    }
    Path target = child(dir, name);
    fileSystem.delete(target, false);
    if (!fileSystem.rename(temporary, target)) {
      throw new IOException("Could not rename " + temporary + " to " + target);
    }
    List<FileStatus> versions = new ArrayList<>();
    String staleTemporariesBelow = "." + name;
    for (FileStatus file : fileSystem.listStatus(dir)) {
      String listed = file.getPath().getName();
      if (listed.startsWith(PREFIX)) {
        versions.add(file);
      } else if (listed.startsWith("." + PREFIX) && listed.compareTo(staleTemporariesBelow) < 0) {
        deleteStaleTemporary(file.getPath());
      }
    }
    versions.sort(NEWEST_FIRST);
    for (int i = versionsKept; i < versions.size(); i++) {
      fileSystem.delete(versions.get(i).getPath(), false);
    }
  }

  /**
   * Deletes a temporary left by an older write that failed or whose writer died: without this, a
   * store whose writes sometimes fail would gather them for good (and list them on every write).
   * The snapshot just written is in place already, so a failed delete is left to the next write.
   */
  private void deleteStaleTemporary(Path temporary) {
    try {
      fileSystem.delete(temporary, false);
    } catch (IOException e) {
      LOG.debug("Could not delete the stale temporary {}: {}", temporary, e.toString());
    }
  }

  @Override
  public List<Long> versions(String vertexId) throws IOException {
    List<Long> versions = new ArrayList<>();
    FileStatus[] files;
    try {
      files = fileSystem.listStatus(dirOf(vertexId));
    } catch (FileNotFoundException e) {
      return versions; // The vertex never wrote a snapshot.
    }
    for (FileStatus file : files) {
      String name = file.getPath().getName();
      if (!name.startsWith(PREFIX)) {
        continue; // A temporary.
      }
      try {
        versions.add(Long.parseLong(name.substring(PREFIX.length())));
      } catch (NumberFormatException e) {
        LOG.warn("Skipping {} of vertex {}: not a snapshot file name", file.getPath(), vertexId);
      }
    }
    versions.sort(Comparator.reverseOrder());
    return versions;
  }

  @Override
  public Optional<Snapshot> read(String vertexId, long version) throws IOException {
    Path path = child(dirOf(vertexId), fileName(version));
    FileStatus file;
    try {
      file = fileSystem.getFileStatus(path);
    } catch (FileNotFoundException e) {
      LOG.info("Snapshot {} of vertex {} is no longer kept", path, vertexId);
      return Optional.empty();
    }
    try {
      return Optional.of(decode(vertexId, version, file));
    } catch (CorruptSnapshotException e) {
      LOG.warn("Skipping snapshot {} of vertex {}: {}; using an older one", path, vertexId, e.getMessage());
      return Optional.empty();
    }
  }

  private static byte[] encode(String vertexId, long version, byte[] payload) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(payload.length + 64);
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeInt(MAGIC);
    out.writeInt(FORMAT_VERSION);
    out.writeUTF(vertexId);
    out.writeLong(version);
    out.writeInt(payload.length);
    out.write(payload);
    CRC32C crc = new CRC32C();
    crc.update(bytes.toByteArray());
    out.writeLong(crc.getValue());
    return bytes.toByteArray();
  }

  private Snapshot decode(String vertexId, long version, FileStatus file) throws IOException {
    byte[] content = new byte[(int) file.getLen()];
    try (FSDataInputStream in = fileSystem.open(file.getPath())) {
      in.readFully(0, content);
    } catch (EOFException e) {
      throw new CorruptSnapshotException("shorter than its length " + file.getLen());
    }
    if (content.length < 8) {
      throw new CorruptSnapshotException("only " + content.length + " bytes");
    }
    CRC32C crc = new CRC32C();
    crc.update(content, 0, content.length - 8);
    long stored = java.nio.ByteBuffer.wrap(content, content.length - 8, 8).getLong();
    if (crc.getValue() != stored) {
      throw new CorruptSnapshotException(
          String.format("checksum mismatch: stored %016x, computed %016x", stored, crc.getValue()));
    }
    DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(content));
    if (in.readInt() != MAGIC || in.readInt() != FORMAT_VERSION) {
      throw new CorruptSnapshotException("not a StreamScope snapshot of format " + FORMAT_VERSION);
    }
    String storedVertex = in.readUTF();
    if (!storedVertex.equals(vertexId)) {
      throw new CorruptSnapshotException("it belongs to vertex " + storedVertex);
    }
    long storedVersion = in.readLong();
    if (storedVersion != version) {
      throw new CorruptSnapshotException("it holds version " + storedVersion);
    }
    byte[] payload = new byte[in.readInt()];
    in.readFully(payload);
    return new Snapshot(version, payload);
  }

  /** A snapshot file that cannot be trusted. */
  static final class CorruptSnapshotException extends IOException {
    CorruptSnapshotException(String message) {
      super(message);
    }
  }
}
