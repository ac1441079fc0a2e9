package dev.streamscope.rstream.segment;

import java.io.ByteArrayOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import java.util.zip.CRC32C;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * How the data payloads of one stream are encoded, for tools such as {@code streamscope inspect
 * --dump}: an encoding name and its parameters (the runner stores a serialized Beam coder). Kept
 * in the file {@value #FILE_NAME} of the stream directory (layout in the package documentation);
 * streams never read it.
 *
 * @param encoding names how to read {@code parameters} and the payloads, e.g. a version string
 * @param parameters what the encoding needs, e.g. a serialized coder
 */
public record PayloadFormat(String encoding, byte[] parameters) {
  public static final String FILE_NAME = "payload-format";
  public static final int MAGIC = 0x52464d54; // "RFMT"
  public static final int FORMAT_VERSION = 1;
  /** Larger files are not read. */
  static final int BYTES_MAX = 16 << 20;

  public PayloadFormat {
    Objects.requireNonNull(encoding, "encoding");
    Objects.requireNonNull(parameters, "parameters");
    if (encoding.getBytes(StandardCharsets.UTF_8).length > 0xFFFF) {
      throw new IllegalArgumentException("encoding name longer than 65535 bytes");
    }
  }

  /** Writes (or replaces) the format file of {@code streamDir}. Blocking. */
  public void write(FileSystem fs, Path streamDir) throws IOException {
    byte[] name = encoding.getBytes(StandardCharsets.UTF_8);
    byte[] bytes = new byte[12 + name.length + parameters.length + 4];
    SegmentFormat.putInt(bytes, 0, MAGIC);
    SegmentFormat.putShort(bytes, 4, FORMAT_VERSION);
    SegmentFormat.putShort(bytes, 6, name.length);
    System.arraycopy(name, 0, bytes, 8, name.length);
    SegmentFormat.putInt(bytes, 8 + name.length, parameters.length);
    System.arraycopy(parameters, 0, bytes, 12 + name.length, parameters.length);
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, bytes.length - 4);
    SegmentFormat.putInt(bytes, bytes.length - 4, (int) crc.getValue());
    try (FSDataOutputStream out = fs.create(new Path(streamDir, FILE_NAME), true)) {
      out.write(bytes);
    }
  }

  /**
   * The format of the stream in {@code streamDir}, or null if it has none. Blocking.
   *
   * @throws IOException naming the file and the problem if it is unreadable
   */
  public static PayloadFormat read(FileSystem fs, Path streamDir) throws IOException {
    Path path = new Path(streamDir, FILE_NAME);
    byte[] bytes;
    try (InputStream in = fs.open(path)) {
      bytes = readAll(in, path);
    } catch (FileNotFoundException e) {
      return null;
    }
    if (bytes.length < 16 || SegmentFormat.getInt(bytes, 0) != MAGIC) {
      throw unreadable(path, "not a payload format file");
    }
    if (SegmentFormat.getShort(bytes, 4) != FORMAT_VERSION) {
      throw unreadable(path, "unsupported version " + SegmentFormat.getShort(bytes, 4));
    }
    int nameLength = SegmentFormat.getShort(bytes, 6);
    if (12 + nameLength + 4 > bytes.length) {
      throw unreadable(path, "an encoding name of " + nameLength + " bytes does not fit");
    }
    int parametersLength = SegmentFormat.getInt(bytes, 8 + nameLength);
    if (parametersLength < 0 || bytes.length != 12L + nameLength + parametersLength + 4) {
      throw unreadable(path, bytes.length + " bytes do not hold " + parametersLength + " bytes of parameters");
    }
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, bytes.length - 4);
    long expected = SegmentFormat.getInt(bytes, bytes.length - 4) & 0xFFFFFFFFL;
    if (crc.getValue() != expected) {
      throw unreadable(
          path, String.format("checksum mismatch (expected crc32c 0x%08x, actual 0x%08x)", expected, crc.getValue()));
    }
    return new PayloadFormat(
        new String(bytes, 8, nameLength, StandardCharsets.UTF_8),
        Arrays.copyOfRange(bytes, 12 + nameLength, 12 + nameLength + parametersLength));
  }

  private static byte[] readAll(InputStream in, Path path) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[8 << 10];
    int n;
    while ((n = in.read(buffer)) >= 0) {
      out.write(buffer, 0, n);
      if (out.size() > BYTES_MAX) {
        throw unreadable(path, "larger than " + BYTES_MAX + " bytes");
      }
    }
    return out.toByteArray();
  }

  private static IOException unreadable(Path path, String problem) {
    return new IOException("payload format " + path + " is unreadable: " + problem);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof PayloadFormat that
        && encoding.equals(that.encoding)
        && Arrays.equals(parameters, that.parameters);
  }

  @Override
  public int hashCode() {
    return 31 * encoding.hashCode() + Arrays.hashCode(parameters);
  }

  @Override
  public String toString() {
    return "PayloadFormat[" + encoding + ", " + parameters.length + " bytes]";
  }
}
