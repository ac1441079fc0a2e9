package dev.streamscope.rstream.testing;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FilterFileSystem;
import org.apache.hadoop.fs.Path;

/** A file system that counts the bytes read through it, to show what a reader really reads. */
public final class CountingFileSystem extends FilterFileSystem {
  private final AtomicLong bytesRead = new AtomicLong();

  public CountingFileSystem(FileSystem inner) {
    super(inner);
    setConf(inner.getConf());
  }

  /** Bytes read so far. */
  public long bytesRead() {
    return bytesRead.get();
  }

  @Override
  public FSDataInputStream open(Path f, int bufferSize) throws IOException {
    return new FSDataInputStream(new Counting(super.open(f, bufferSize)));
  }

  private final class Counting extends FSInputStream {
    private final FSDataInputStream in;

    Counting(FSDataInputStream in) {
      this.in = in;
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        bytesRead.incrementAndGet();
      }
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      int n = in.read(buffer, offset, length);
      if (n > 0) {
        bytesRead.addAndGet(n);
      }
      return n;
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
