package dev.streamscope.translation.runtime;

import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.joda.time.Instant;

/**
 * Converts between Beam instants and the {@code long} millis of rStream punctuation, where {@code
 * Long.MAX_VALUE} is "no more data" and {@code Long.MIN_VALUE} "nothing known yet".
 */
public final class Watermarks {
  private Watermarks() {}

  public static Instant toInstant(long watermarkMillis) {
    if (watermarkMillis >= BoundedWindow.TIMESTAMP_MAX_VALUE.getMillis()) {
      return BoundedWindow.TIMESTAMP_MAX_VALUE;
    }
    if (watermarkMillis <= BoundedWindow.TIMESTAMP_MIN_VALUE.getMillis()) {
      return BoundedWindow.TIMESTAMP_MIN_VALUE;
    }
    return new Instant(watermarkMillis);
  }

  public static long fromInstant(Instant watermark) {
    if (!watermark.isBefore(BoundedWindow.TIMESTAMP_MAX_VALUE)) {
      return Long.MAX_VALUE;
    }
    if (!watermark.isAfter(BoundedWindow.TIMESTAMP_MIN_VALUE)) {
      return Long.MIN_VALUE;
    }
    return watermark.getMillis();
  }

  /**
   * True if an event-time timer (or a window end) at {@code timestamp} is due under {@code
   * watermarkMillis}: Beam data at the watermark's own instant may still come, so only strictly
   * earlier instants are due; at the end of input everything is.
   */
  public static boolean isDue(Instant timestamp, long watermarkMillis) {
    return watermarkMillis == Long.MAX_VALUE || timestamp.getMillis() < watermarkMillis;
  }
}
