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
 * The building blocks of an operator snapshot. Values of user types go through their Beam coders
 * inside length-prefixed blocks, so a coder that reads too much or too little fails at the end of
 * its block, naming it, instead of shifting everything after it. A lone value is a block of its
 * own ({@link #writeValue}: Beam's {@link CoderUtils#decodeFromByteArray} checks the block is read
 * to its end); the many values of a collection share one block ({@link #writeBlock}), each in its
 * coder's nested encoding, which costs no copy and no allocation per value.
 */
public final class SnapshotIo {
  /** Writes one part of a snapshot. */
  @FunctionalInterface
  public interface Writer {
    void write(DataOutputStream out) throws Exception;
  }

  /** Writes the contents of one block. */
  @FunctionalInterface
  public interface BlockWriter {
    void write(DataOutputStream block) throws IOException;
  }

  /** Reads the contents of one block, all of them. */
  @FunctionalInterface
  public interface BlockReader {
    void read(DataInputStream block) throws IOException;
  }

  private SnapshotIo() {}

  /**
   * Writes what {@code writer} writes as one length-prefixed block; values inside it go through
   * {@link #writeNested}.
   */
  public static void writeBlock(DataOutputStream out, BlockWriter writer) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream block = new DataOutputStream(bytes);
    writer.write(block);
    block.flush();
    out.writeInt(bytes.size());
    bytes.writeTo(out);
  }

  /**
   * Reads a block written by {@link #writeBlock} with {@code reader}, which must read it to its
   * end and no further: else fails naming {@code what}, as the snapshot and the code disagree (a
   * block is in memory and its snapshot checksummed, so reading it fails only so; Beam's coders
   * report reading past the end as a {@code CoderException}).
   */
  public static void readBlock(DataInputStream in, String what, BlockReader reader)
      throws IOException {
    byte[] bytes = readBytes(in);
    DataInputStream block = reader(bytes);
    try {
      reader.read(block);
    } catch (IOException e) {
      throw new IllegalStateException(
          what + ": cannot read its " + bytes.length + "-byte block of the snapshot ("
              + e + "); snapshot and code disagree", e);
    }
    checkFullyRead(block, what);
  }

  /** {@code value} in its coder's nested (self-delimiting) encoding, inside a block. */
  public static <T> void writeNested(DataOutputStream block, Coder<T> coder, T value)
      throws IOException {
    coder.encode(value, block);
  }

  /** A value written by {@link #writeNested}. */
  public static <T> T readNested(DataInputStream block, Coder<T> coder) throws IOException {
    return coder.decode(block);
  }

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
