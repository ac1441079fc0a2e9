package dev.streamscope.rstream.segment;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Maps stream ids to directory names and back: characters outside {@code [A-Za-z0-9._-]} (and a
 * leading {@code .}) become {@code ~XX}, the hex of each UTF-8 byte. Ids such as {@code
 * Count/out0/p1->Sum/in0/p0} stay readable: {@code Count~2Fout0~2Fp1-~3ESum~2Fin0~2Fp0}.
 *
 * <p>File systems limit a name to 255 bytes (HDFS and Linux alike) and Beam step names can be
 * long, so a name longer than {@link #NAME_CHARS_MAX} is cut and ends with {@code ~~} and 16 hex
 * digits of the SHA-256 of the id instead. Such a name cannot be decoded; the id is in the header
 * of every segment in the directory.
 */
public final class StreamDirs {
  /** Longest directory name this makes. */
  public static final int NAME_CHARS_MAX = 200;

  private static final char ESCAPE = '~';
  private static final String HASHED = "~~";
  private static final int HASH_HEX_CHARS = 16;
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private StreamDirs() {}

  public static String encode(String streamId) {
    String name = escape(streamId);
    if (name.length() <= NAME_CHARS_MAX) {
      return name;
    }
    int keep = NAME_CHARS_MAX - HASHED.length() - HASH_HEX_CHARS;
    // Do not cut an escape in half.
    int escapeAt = name.lastIndexOf(ESCAPE, keep - 1);
    if (escapeAt >= keep - 2) {
      keep = escapeAt;
    }
    return name.substring(0, keep) + HASHED + hash(streamId);
  }

  /** True if {@code name} was cut and hashed: its stream id must be read from a segment header. */
  public static boolean isHashed(String name) {
    return name.contains(HASHED);
  }

  private static String hash(String streamId) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(streamId.getBytes(StandardCharsets.UTF_8));
      StringBuilder hex = new StringBuilder(HASH_HEX_CHARS);
      for (int i = 0; i < HASH_HEX_CHARS / 2; i++) {
        hex.append(HEX[(digest[i] >> 4) & 0xF]).append(HEX[digest[i] & 0xF]);
      }
      return hex.toString();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  private static String escape(String streamId) {
    if (streamId.isEmpty()) {
      throw new IllegalArgumentException("stream id must not be empty");
    }
    StringBuilder name = new StringBuilder(streamId.length() + 16);
    byte[] bytes = streamId.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < bytes.length; i++) {
      int b = bytes[i] & 0xFF;
      boolean plain =
          (b >= 'a' && b <= 'z')
              || (b >= 'A' && b <= 'Z')
              || (b >= '0' && b <= '9')
              || b == '-'
              || b == '_'
              || (b == '.' && i > 0);
      if (plain) {
        name.append((char) b);
      } else {
        name.append(ESCAPE).append(HEX[b >>> 4]).append(HEX[b & 0xF]);
      }
    }
    return name.toString();
  }

  /**
   * The stream id of a directory name made by {@link #encode}.
   *
   * @throws IllegalArgumentException if it is not such a name, or a {@link #isHashed hashed} one
   */
  public static String decode(String name) {
    if (isHashed(name)) {
      throw new IllegalArgumentException("a hashed stream directory name cannot be decoded: " + name);
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(name.length());
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c == ESCAPE) {
        if (i + 2 >= name.length()) {
          throw new IllegalArgumentException("not an encoded stream id: " + name);
        }
        bytes.write(Integer.parseInt(name.substring(i + 1, i + 3), 16));
        i += 2;
      } else {
        bytes.write(c);
      }
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }
}
