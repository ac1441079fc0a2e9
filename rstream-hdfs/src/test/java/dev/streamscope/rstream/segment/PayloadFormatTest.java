package dev.streamscope.rstream.segment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamscope.rstream.testing.TestFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PayloadFormatTest {
  private static final PayloadFormat FORMAT =
      new PayloadFormat("test-encoding/v1", "coder bytes".getBytes(StandardCharsets.UTF_8));

  @TempDir java.nio.file.Path temp;
  private FileSystem fs;
  private Path dir;

  @BeforeEach
  void setUp() throws IOException {
    fs = TestFiles.rawLocal();
    dir = new Path(temp.toUri().toString(), "stream");
  }

  @Test
  void aLogWritesItsPayloadFormatWithItsFirstSegment() throws IOException {
    StreamLog log = StreamLog.create(fs, dir, "s", FlushMode.HFLUSH, 1 << 20, FORMAT);
    assertFalse(fs.exists(dir), "no I/O before the first append");
    log.append(TestFiles::event, 0, 10, Long.MAX_VALUE);
    PayloadFormat read = PayloadFormat.read(fs, dir);
    assertEquals(FORMAT, read);
    assertEquals("test-encoding/v1", read.encoding());
    assertArrayEquals("coder bytes".getBytes(StandardCharsets.UTF_8), read.parameters());
    assertEquals(10, StreamLog.recover(fs, dir, "s", FlushMode.HFLUSH, 1 << 20).endSeq(), "recovery ignores it");
  }

  @Test
  void aStreamWithoutOneHasNone() throws IOException {
    StreamLog log = StreamLog.create(fs, dir, "s", FlushMode.HFLUSH, 1 << 20);
    log.append(TestFiles::event, 0, 10, Long.MAX_VALUE);
    assertNull(PayloadFormat.read(fs, dir));
  }

  @Test
  void aDamagedFileIsReportedNamingIt() throws IOException {
    FORMAT.write(fs, dir);
    java.nio.file.Path file = temp.resolve("stream").resolve(PayloadFormat.FILE_NAME);
    TestFiles.flipByte(file, Files.size(file) - 6);
    IOException error = assertThrows(IOException.class, () -> PayloadFormat.read(fs, dir));
    assertTrue(error.getMessage().contains(PayloadFormat.FILE_NAME), error.getMessage());
    assertTrue(error.getMessage().contains("checksum mismatch"), error.getMessage());
  }
}
