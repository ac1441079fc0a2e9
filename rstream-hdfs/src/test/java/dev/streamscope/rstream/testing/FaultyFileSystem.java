package dev.streamscope.rstream.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FSInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FilterFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.Syncable;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;

/**
 * A file system whose creates, writes and flushes fail while {@link #failWrites} is set; with
 * {@link #tearWrites} a failing write first writes half of its bytes (a torn write). Deletes fail
 * while {@link #failDeletes} is set, closes of files it created while {@link #failCloses} is set
 * (the file stays open, as when a datanode died under it), and wait while {@link #holdCloses} is
 * set. After {@link #failReads}{@code (n)} the next {@code n} reads
 * from files it opened fail.
 */
public final class FaultyFileSystem extends FilterFileSystem {
  private volatile boolean failWrites;
  private volatile boolean tearWrites;
  private volatile boolean failDeletes;
  private volatile boolean failCloses;
  private volatile CountDownLatch closeGate; // closes wait on it while not null
  private final AtomicInteger heldCloses = new AtomicInteger();
  private final AtomicInteger readFailuresLeft = new AtomicInteger();
  private final AtomicInteger readFailures = new AtomicInteger();

  public FaultyFileSystem(FileSystem inner) {
    super(inner);
    setConf(inner.getConf());
  }

  public void failWrites(boolean fail) {
    this.failWrites = fail;
  }

  public void tearWrites(boolean tear) {
    this.tearWrites = tear;
  }

  public void failDeletes(boolean fail) {
    this.failDeletes = fail;
  }

  public void failCloses(boolean fail) {
    this.failCloses = fail;
  }

  /** While held, closes of files it created wait (on the closing thread) until released. */
  public void holdCloses(boolean hold) {
    if (hold) {
      closeGate = new CountDownLatch(1);
    } else {
      CountDownLatch gate = closeGate;
      closeGate = null;
      if (gate != null) {
        gate.countDown();
      }
    }
  }

  /** Closes that waited (or wait) on {@link #holdCloses}. */
  public int heldCloses() {
    return heldCloses.get();
  }

  /** Makes the next {@code count} reads fail (on top of those still to fail). */
  public void failReads(int count) {
    readFailuresLeft.addAndGet(count);
  }

  /** Reads that failed so far. */
  public int readFailures() {
    return readFailures.get();
  }

  private void checkRead(Path path) throws IOException {
    if (readFailuresLeft.getAndUpdate(left -> Math.max(0, left - 1)) > 0) {
      readFailures.incrementAndGet();
      throw new IOException("injected failure: read " + path);
    }
  }

  @Override
  public FSDataInputStream open(Path f, int bufferSize) throws IOException {
    return new FSDataInputStream(new FaultyIn(f, super.open(f, bufferSize)));
  }

  private void check(String what) throws IOException {
    if (failWrites) {
      throw new IOException("injected failure: " + what);
    }
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
    check("create " + f);
    FSDataOutputStream out =
        super.create(f, permission, overwrite, bufferSize, replication, blockSize, progress);
    return new FSDataOutputStream(new FaultyOut(out), null);
  }

  @Override
  public boolean delete(Path f, boolean recursive) throws IOException {
    if (failDeletes) {
      throw new IOException("injected failure: delete " + f);
    }
    return super.delete(f, recursive);
  }

  private final class FaultyOut extends OutputStream implements Syncable {
    private final FSDataOutputStream out;

    FaultyOut(FSDataOutputStream out) {
      this.out = out;
    }

    @Override
    public void write(int b) throws IOException {
      check("write");
      out.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (failWrites && tearWrites) {
        out.write(b, off, len / 2);
      }
      check("write");
      out.write(b, off, len);
    }

    @Override
    public void hflush() throws IOException {
      check("hflush");
      out.hflush();
    }

    @Override
    public void hsync() throws IOException {
      check("hsync");
      out.hsync();
    }

    @Override
    public void close() throws IOException {
      if (failCloses) {
        throw new IOException("injected failure: close");
      }
      CountDownLatch gate = closeGate;
      if (gate != null) {
        heldCloses.incrementAndGet();
        try {
          gate.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new java.io.InterruptedIOException("close interrupted while held");
        }
      }
      out.close();
    }
  }

  private final class FaultyIn extends FSInputStream {
    private final Path path;
    private final FSDataInputStream in;

    FaultyIn(Path path, FSDataInputStream in) {
      this.path = path;
      this.in = in;
    }

    @Override
    public int read() throws IOException {
      checkRead(path);
      return in.read();
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      checkRead(path);
      return in.read(buffer, offset, length);
    }

    @Override
    public void seek(long position) throws IOException {
      in.seek(position);
    }

    @Override
    public long getPos() throws IOException {
      return in.getPos();
    }

    @Override
    public boolean seekToNewSource(long targetPosition) throws IOException {
      return in.seekToNewSource(targetPosition);
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
