package dev.streamscope.simulator;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FSInputStream;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LeaseRecoverable;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.Syncable;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;

/**
 * The simulated twin of an HDFS client: a Hadoop {@code FileSystem} over the cluster's {@link
 * SimulatedStorage}, one instance per worker process, with the faults the enabled {@link Faults}
 * ask for. No disk, thread or clock: time and randomness come from the {@link SimulationLoop}.
 *
 * <p>HDFS semantics it keeps: a reader sees what a writer flushed, a file has one writer (its
 * lease) until it is closed or its lease is recovered ({@link LeaseRecoverable}: the first call
 * starts the recovery, which completes a moment later, and fences the old writer), and a crash
 * of the writer's process ({@link #crash()}) loses the bytes it had not flushed — all of them,
 * or with {@link Faults#TORN_WRITE} all but a random prefix, which may end inside a record.
 *
 * <p>Faults: {@link Faults#FS_WRITE_FAILURE} fails creates and writes (with {@code TORN_WRITE}, a
 * failing write first writes a random prefix of its bytes), {@link Faults#FS_FLUSH_FAILURE} fails
 * {@code hflush}/{@code hsync}, {@link Faults#FS_READ_FAILURE} fails opens, reads and listings;
 * each call fails with a fixed probability, and a failed output stream stays broken, as HDFS's
 * does. Latency is not added here but by the I/O seam ({@link Faults#SLOW_DISK}).
 */
final class SimulatedFileSystem extends FileSystem implements LeaseRecoverable {
  /** Fault knobs; a disabled fault contributes nothing. */
  record Knobs(
      double writeFailureProbability,
      double flushFailureProbability,
      double readFailureProbability,
      boolean tornWrites,
      long leaseRecoveryMs) {
    static Knobs of(Set<Faults> faults) {
      return new Knobs(
          faults.contains(Faults.FS_WRITE_FAILURE) ? 0.05 : 0,
          faults.contains(Faults.FS_FLUSH_FAILURE) ? 0.05 : 0,
          faults.contains(Faults.FS_READ_FAILURE) ? 0.05 : 0,
          faults.contains(Faults.TORN_WRITE),
          5);
    }
  }

  private static final URI URI_ROOT = URI.create("sim:///");

  private final SimulatedStorage storage;
  private final SimulationLoop loop;
  private final Probes probes;
  private final Knobs knobs;
  private final String client;
  private Path workingDirectory = new Path("/");
  private boolean crashed;

  SimulatedFileSystem(
      SimulatedStorage storage, SimulationLoop loop, Probes probes, Knobs knobs, String client) {
    this.storage = storage;
    this.loop = loop;
    this.probes = probes;
    this.knobs = knobs;
    this.client = client;
    setConf(new Configuration(false));
  }

  /**
   * The client's process died: every file it was writing keeps only its flushed bytes (and, with
   * torn writes, a random prefix of the rest) and stays open until its lease is recovered; every
   * later call of this client fails.
   */
  void crash() {
    crashed = true;
    for (SimulatedStorage.File file : storage.openFilesOf(w -> ((Out) w).owner() == this)) {
      int unflushed = file.lengthBytes - file.flushedBytes;
      int kept = knobs.tornWrites() && unflushed > 0 ? loop.random().nextInt(unflushed + 1) : 0;
      if (kept > 0) {
        probes.hit("torn-write");
      }
      file.cut(file.flushedBytes + kept);
      file.flushedBytes = file.lengthBytes;
    }
  }

  // ---------------------------------------------------------------------------------------------

  @Override
  public String getScheme() {
    return "sim";
  }

  @Override
  public URI getUri() {
    return URI_ROOT;
  }

  @Override
  public FSDataInputStream open(Path f, int bufferSize) throws IOException {
    String path = pathOf(f);
    alive("open", path);
    maybeFail(Faults.FS_READ_FAILURE, "open", path);
    SimulatedStorage.File file = storage.file(path);
    if (file == null) {
      throw new FileNotFoundException(path + " (simulated file system)");
    }
    return new FSDataInputStream(new In(path, file));
  }

  @Override
  public FSDataOutputStream create(
      Path f,
      FsPermission permission,
      boolean overwrite,
      int bufferSize,
      short replication,
      long blockSize,
      Progressable progress)
      throws IOException {
    String path = pathOf(f);
    alive("create", path);
    maybeFail(Faults.FS_WRITE_FAILURE, "create", path);
    SimulatedStorage.File existing = storage.file(path);
    if (storage.isDirectory(path)) {
      throw new FileAlreadyExistsException(path + " is a directory");
    }
    if (existing != null) {
      if (!overwrite) {
        throw new FileAlreadyExistsException(path + " already exists");
      }
      if (existing.writer != null) {
        throw new IOException(path + " is being written by another client (its lease is held)");
      }
    }
    SimulatedStorage.File file = storage.create(path, loop.nowMillis());
    Out out = new Out(path, file);
    file.writer = out;
    return new FSDataOutputStream(out, null);
  }

  @Override
  public FSDataOutputStream append(Path f, int bufferSize, Progressable progress) throws IOException {
    String path = pathOf(f);
    alive("append", path);
    maybeFail(Faults.FS_WRITE_FAILURE, "append", path);
    SimulatedStorage.File file = existingFile(path);
    if (file.writer != null) {
      throw new IOException(path + " is being written by another client (its lease is held)");
    }
    Out out = new Out(path, file);
    file.writer = out;
    return new FSDataOutputStream(out, null, file.lengthBytes);
  }

  @Override
  public boolean rename(Path src, Path dst) throws IOException {
    String from = pathOf(src);
    String to = pathOf(dst);
    alive("rename", from);
    maybeFail(Faults.FS_WRITE_FAILURE, "rename", from);
    if (!storage.exists(from) || storage.exists(to) || from.equals("/")) {
      return false;
    }
    storage.rename(from, to);
    return true;
  }

  @Override
  public boolean truncate(Path f, long newLength) throws IOException {
    String path = pathOf(f);
    alive("truncate", path);
    maybeFail(Faults.FS_WRITE_FAILURE, "truncate", path);
    SimulatedStorage.File file = existingFile(path);
    if (file.writer != null) {
      throw new IOException(path + " is open for writing; it cannot be truncated");
    }
    if (newLength < 0 || newLength > file.lengthBytes) {
      throw new IllegalArgumentException(
          "cannot truncate " + path + " of " + file.lengthBytes + " bytes to " + newLength);
    }
    file.cut((int) newLength);
    return true;
  }

  @Override
  public boolean delete(Path f, boolean recursive) throws IOException {
    String path = pathOf(f);
    alive("delete", path);
    maybeFail(Faults.FS_WRITE_FAILURE, "delete", path);
    if (!storage.exists(path)) {
      return false;
    }
    if (storage.isDirectory(path) && !recursive && !storage.children(path).isEmpty()) {
      throw new IOException(path + " is a non-empty directory");
    }
    storage.delete(path);
    return true;
  }

  @Override
  public FileStatus[] listStatus(Path f) throws IOException {
    String path = pathOf(f);
    alive("list", path);
    maybeFail(Faults.FS_READ_FAILURE, "list", path);
    if (storage.file(path) != null) {
      return new FileStatus[] {status(path)};
    }
    if (!storage.isDirectory(path)) {
      throw new FileNotFoundException(path + " (simulated file system)");
    }
    List<String> children = storage.children(path);
    FileStatus[] statuses = new FileStatus[children.size()];
    for (int i = 0; i < statuses.length; i++) {
      statuses[i] = status(children.get(i));
    }
    return statuses;
  }

  @Override
  public FileStatus getFileStatus(Path f) throws IOException {
    String path = pathOf(f);
    alive("stat", path);
    maybeFail(Faults.FS_READ_FAILURE, "stat", path);
    if (!storage.exists(path)) {
      throw new FileNotFoundException(path + " (simulated file system)");
    }
    return status(path);
  }

  @Override
  public boolean mkdirs(Path f, FsPermission permission) throws IOException {
    String path = pathOf(f);
    alive("mkdirs", path);
    if (storage.file(path) != null) {
      throw new FileAlreadyExistsException(path + " is a file");
    }
    storage.mkdirs(path);
    return true;
  }

  @Override
  public void setWorkingDirectory(Path dir) {
    workingDirectory = new Path(pathOf(dir));
  }

  @Override
  public Path getWorkingDirectory() {
    return workingDirectory;
  }

  @Override
  public boolean isFileClosed(Path f) throws IOException {
    String path = pathOf(f);
    alive("isFileClosed", path);
    return existingFile(path).writer == null;
  }

  /**
   * Starts (first call) or completes (a later call, once {@code leaseRecoveryMs} passed) the
   * recovery of an open file's lease: the file closes at its flushed length and its writer is
   * fenced off.
   */
  @Override
  public boolean recoverLease(Path f) throws IOException {
    String path = pathOf(f);
    alive("recoverLease", path);
    SimulatedStorage.File file = existingFile(path);
    if (file.writer == null) {
      return true;
    }
    if (file.leaseRecoveryStartedMillis < 0) {
      file.leaseRecoveryStartedMillis = loop.nowMillis();
      return false;
    }
    if (loop.nowMillis() - file.leaseRecoveryStartedMillis < knobs.leaseRecoveryMs()) {
      return false;
    }
    file.cut(file.flushedBytes);
    file.close();
    return true;
  }

  /** Nothing to release: the client is in memory. */
  @Override
  public void close() {}

  // ---------------------------------------------------------------------------------------------

  private String pathOf(Path f) {
    Path absolute = f.isAbsolute() ? f : new Path(workingDirectory, f);
    String path = absolute.toUri().getPath();
    if (path.length() > 1 && path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    return path.isEmpty() ? "/" : path;
  }

  private SimulatedStorage.File existingFile(String path) throws FileNotFoundException {
    SimulatedStorage.File file = storage.file(path);
    if (file == null) {
      throw new FileNotFoundException(path + " (simulated file system)");
    }
    return file;
  }

  private FileStatus status(String path) {
    SimulatedStorage.File file = storage.file(path);
    if (file == null) {
      return new FileStatus(0, true, 1, 0, 0, new Path(path));
    }
    return new FileStatus(file.visibleBytes(), false, 1, 128L << 20, file.modifiedMillis, file.hadoopPath(path));
  }

  /** Fails {@code call} of {@code path} if this client's process died. */
  private void alive(String call, String path) throws IOException {
    if (crashed) {
      throw new IOException("simulated client " + client + " is dead: " + call + " " + path);
    }
  }

  /** Throws an injected failure of {@code call} of {@code path} with the probability of {@code fault}. */
  private void maybeFail(Faults fault, String call, String path) throws IOException {
    if (strikes(fault)) {
      throw new IOException("injected failure: " + call + " " + path + " (simulated client " + client + ")");
    }
  }

  /** Whether {@code fault} strikes this call (and counts it if so). */
  private boolean strikes(Faults fault) {
    double probability =
        switch (fault) {
          case FS_WRITE_FAILURE -> knobs.writeFailureProbability();
          case FS_FLUSH_FAILURE -> knobs.flushFailureProbability();
          case FS_READ_FAILURE -> knobs.readFailureProbability();
          default -> throw new IllegalArgumentException("not a file system fault: " + fault);
        };
    if (probability > 0 && loop.random().nextDouble() < probability) {
      probes.hit(fault.optionName());
      return true;
    }
    return false;
  }

  /** An output stream holding a file's lease. */
  private final class Out extends OutputStream implements Syncable {
    private final String path;
    private final SimulatedStorage.File file;
    private boolean broken;
    private boolean closed;

    Out(String path, SimulatedStorage.File file) {
      this.path = path;
      this.file = file;
    }

    SimulatedFileSystem owner() {
      return SimulatedFileSystem.this;
    }

    private void usable(String call) throws IOException {
      alive(call, path);
      if (closed) {
        throw new IOException(path + " is closed");
      }
      if (file.writer != this || storage.file(path) != file) {
        throw new IOException(path + ": lease lost (recovered by another client, or deleted)");
      }
      if (broken) {
        throw new IOException(path + ": the output stream broke on an earlier failure");
      }
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      usable("write");
      if (strikes(Faults.FS_WRITE_FAILURE)) {
        if (knobs.tornWrites()) {
          probes.hit("torn-write");
          file.append(b, off, loop.random().nextInt(len + 1));
        }
        broken = true;
        throw new IOException("injected failure: write " + path + " (simulated client " + client + ")");
      }
      file.append(b, off, len);
      file.modifiedMillis = loop.nowMillis();
    }

    @Override
    public void hflush() throws IOException {
      flushToStorage("hflush");
    }

    @Override
    public void hsync() throws IOException {
      flushToStorage("hsync");
    }

    private void flushToStorage(String call) throws IOException {
      usable(call);
      if (strikes(Faults.FS_FLUSH_FAILURE)) {
        broken = true;
        throw new IOException("injected failure: " + call + " " + path + " (simulated client " + client + ")");
      }
      file.flushedBytes = file.lengthBytes;
    }

    @Override
    public void close() throws IOException {
      if (closed) {
        return;
      }
      usable("close");
      closed = true;
      file.close();
    }
  }

  /** A reader of a file: sees the bytes visible when it reads. */
  private final class In extends FSInputStream {
    private final String path;
    private final SimulatedStorage.File file;
    private long position;

    In(String path, SimulatedStorage.File file) {
      this.path = path;
      this.file = file;
    }

    @Override
    public void seek(long pos) throws IOException {
      if (pos < 0 || pos > file.visibleBytes()) {
        throw new java.io.EOFException("cannot seek " + path + " to " + pos + " of " + file.visibleBytes());
      }
      position = pos;
    }

    @Override
    public long getPos() {
      return position;
    }

    @Override
    public boolean seekToNewSource(long targetPos) {
      return false;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      alive("read", path);
      maybeFail(Faults.FS_READ_FAILURE, "read", path);
      if (len == 0) {
        return 0;
      }
      int available = (int) (file.visibleBytes() - position);
      if (available <= 0) {
        return -1;
      }
      int n = Math.min(len, available);
      System.arraycopy(file.bytes, (int) position, b, off, n);
      position += n;
      return n;
    }

    @Override
    public int available() {
      return (int) Math.max(0, file.visibleBytes() - position);
    }
  }
}
