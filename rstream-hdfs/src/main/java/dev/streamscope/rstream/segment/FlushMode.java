package dev.streamscope.rstream.segment;

/** How a flushed batch is made durable. */
public enum FlushMode {
  /** {@code hflush}: visible to new readers and in the datanodes' memory (the default). */
  HFLUSH,
  /** {@code hsync}: also on the datanodes' disks (or fsync on the local file system). */
  HSYNC;

  /** Parses {@code hflush} or {@code hsync}, any case. */
  public static FlushMode parse(String text) {
    for (FlushMode mode : values()) {
      if (mode.name().equalsIgnoreCase(text.trim())) {
        return mode;
      }
    }
    throw new IllegalArgumentException("Unknown flush mode '" + text + "'; expected hflush or hsync");
  }
}
