package dev.streamscope.rstream.testing;

import java.io.IOException;
import java.io.OutputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FilterFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.Syncable;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;

/**
 * A file system whose creates, writes and flushes fail while {@link #failWrites} is set; with
 * {@link #tearWrites} a failing write first writes half of its bytes (a torn write).
 */
public final class FaultyFileSystem extends FilterFileSystem {
  private volatile boolean failWrites;
  private volatile boolean tearWrites;

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
      out.close();
    }
  }
}
