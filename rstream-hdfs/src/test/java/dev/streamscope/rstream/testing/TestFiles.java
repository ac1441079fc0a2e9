package dev.streamscope.rstream.testing;

import dev.streamscope.rstream.StreamEvent;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;

/** Helpers shared by the tests. */
public final class TestFiles {
  private TestFiles() {}

  /** The raw local file system: its hflush really writes (the checksummed one's does nothing). */
  public static FileSystem rawLocal() throws IOException {
    return FileSystem.getLocal(new Configuration()).getRawFileSystem();
  }

  /** The deterministic content of seq {@code seq}: what every (re)generation writes. */
  public static StreamEvent event(long seq) {
    if (seq % 17 == 16) {
      return StreamEvent.watermark(seq, seq * 10);
    }
    byte[] payload = ("event-" + seq + "-").getBytes(StandardCharsets.UTF_8);
    payload = Arrays.copyOf(payload, payload.length + (int) (seq % 23));
    return StreamEvent.data(seq, payload);
  }

  /** A 100-byte data event carrying {@code stamp} in its first 8 bytes. */
  public static StreamEvent stamped(long seq, long stamp) {
    return StreamEvent.data(seq, ByteBuffer.allocate(100).putLong(stamp).putLong(seq).array());
  }

  /** XORs the byte at {@code offset} of a local file with 0x40. */
  public static void flipByte(java.nio.file.Path file, long offset) throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.seek(offset);
      int b = raf.read();
      raf.seek(offset);
      raf.write(b ^ 0x40);
    }
  }
}
