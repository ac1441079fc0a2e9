package dev.streamscope.translation.runtime;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.util.CoderUtils;

/**
 * The building blocks of an operator snapshot. Values of user types go through their Beam coders,
 * each as a length-prefixed block, so a coder that reads too much or too little fails right there
 * (Beam's {@link CoderUtils#decodeFromByteArray} checks every block is read to its end) instead of
 * shifting everything after it.
 */
public final class SnapshotIo {
  /** Writes one part of a snapshot. */
  @FunctionalInterface
  public interface Writer {
    void write(DataOutputStream out) throws Exception;
  }

  private SnapshotIo() {}

  public static <T> void writeValue(DataOutputStream out, Coder<T> coder, T value)
      throws IOException {
    writeBytes(out, CoderUtils.encodeToByteArray(coder, value));
  }

  public static <T> T readValue(DataInputStream in, Coder<T> coder) throws IOException {
    return CoderUtils.decodeFromByteArray(coder, readBytes(in));
  }

  public static void writeBytes(DataOutputStream out, byte[] bytes) throws IOException {
    out.writeInt(bytes.length);
    out.write(bytes);
  }

  public static byte[] readBytes(DataInputStream in) throws IOException {
    int length = in.readInt();
    if (length < 0) {
      throw new IOException("Corrupt snapshot: negative block length " + length);
    }
    byte[] bytes = new byte[length];
    in.readFully(bytes);
    return bytes;
  }

  /** Strings of any length (DataOutputStream's writeUTF stops at 64 KiB). */
  public static void writeString(DataOutputStream out, String value) throws IOException {
    writeBytes(out, value.getBytes(StandardCharsets.UTF_8));
  }

  public static String readString(DataInputStream in) throws IOException {
    return new String(readBytes(in), StandardCharsets.UTF_8);
  }

  /** What {@code writer} writes, as bytes. */
  public static byte[] toBytes(Writer writer) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      writer.write(out);
    }
    return bytes.toByteArray();
  }

  public static DataInputStream reader(byte[] bytes) {
    return new DataInputStream(new ByteArrayInputStream(bytes));
  }

  /** Fails, naming {@code what}, if {@code in} has bytes left: its reader and writer disagree. */
  public static void checkFullyRead(DataInputStream in, String what) throws IOException {
    int left = in.available();
    if (left != 0) {
      throw new IllegalStateException(
          what + ": " + left + " bytes of its snapshot were not read; snapshot and code disagree");
    }
  }
}
