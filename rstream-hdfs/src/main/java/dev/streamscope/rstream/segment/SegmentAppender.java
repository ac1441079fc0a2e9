package dev.streamscope.rstream.segment;

import java.io.Closeable;
import java.io.IOException;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The write side of one segment file: created with its header, appended to in encoded batches,
 * each followed by {@code hflush} or {@code hsync}. Blocking: use it only inside {@code
 * StreamIo.executeBlocking}, one call at a time.
 */
public final class SegmentAppender implements Closeable {
  private final Path path;
  private final long number;
  private final long firstSeq;
  private final FSDataOutputStream out;
  private long length;

  private SegmentAppender(Path path, long number, long firstSeq, FSDataOutputStream out, long length) {
    this.path = path;
    this.number = number;
    this.firstSeq = firstSeq;
    this.out = out;
    this.length = length;
  }

  /**
   * Creates segment {@code number} in {@code streamDir} (never overwriting a file) and writes its
   * header; the header becomes visible with the first {@link #flush}.
   */
  public static SegmentAppender create(
      FileSystem fs, Path streamDir, String streamId, long number, long firstSeq) throws IOException {
    Path path = new Path(streamDir, SegmentFormat.fileName(number));
    FSDataOutputStream out = fs.create(path, false);
    try {
      byte[] header = SegmentFormat.encodeHeader(streamId, number, firstSeq);
      out.write(header);
      return new SegmentAppender(path, number, firstSeq, out, header.length);
    } catch (IOException | RuntimeException e) {
      closeQuietly(out);
      throw e;
    }
  }

  /** Appends encoded records (not durable until {@link #flush}). */
  public void append(byte[] records, int offset, int lengthBytes) throws IOException {
    out.write(records, offset, lengthBytes);
    length += lengthBytes;
  }

  /** Makes everything appended so far durable in the sense of {@code mode}. */
  public void flush(FlushMode mode) throws IOException {
    if (mode == FlushMode.HSYNC) {
      out.hsync();
    } else {
      out.hflush();
    }
  }

  public Path path() {
    return path;
  }

  public long number() {
    return number;
  }

  public long firstSeq() {
    return firstSeq;
  }

  /** Bytes written so far, header included. */
  public long length() {
    return length;
  }

  @Override
  public void close() throws IOException {
    out.close();
  }

  private static void closeQuietly(FSDataOutputStream out) {
    try {
      out.close();
    } catch (IOException | RuntimeException ignored) {
      // The create already failed; that error is the one reported.
    }
  }
}
