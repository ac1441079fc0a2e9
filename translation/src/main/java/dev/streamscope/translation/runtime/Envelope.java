package dev.streamscope.translation.runtime;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.values.WindowedValue;

/**
 * The payload format between stages of a job with logical processing time: a tag byte, then an
 * encoded element ({@link #DATA}) or a processing-time advance as 8 big-endian bytes ({@link
 * #PROCESSING_TIME}). Jobs without a TestStream carry bare encoded elements instead.
 */
final class Envelope {
  static final byte DATA = 0;
  static final byte PROCESSING_TIME = 1;

  private Envelope() {}

  static byte[] data(Coder<WindowedValue<?>> coder, WindowedValue<?> element) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    bytes.write(DATA);
    coder.encode(element, bytes, Coder.Context.OUTER);
    return bytes.toByteArray();
  }

  static byte[] processingTime(long nowMillis) {
    return ByteBuffer.allocate(9).put(PROCESSING_TIME).putLong(nowMillis).array();
  }

  static boolean isProcessingTime(byte[] payload) {
    checkTag(payload);
    return payload[0] == PROCESSING_TIME;
  }

  static long processingTimeOf(byte[] payload) {
    if (payload.length != 9 || payload[0] != PROCESSING_TIME) {
      throw new IllegalArgumentException(
          "Not a processing-time event: " + payload.length + " bytes");
    }
    return ByteBuffer.wrap(payload, 1, 8).getLong();
  }

  static WindowedValue<?> dataOf(Coder<WindowedValue<?>> coder, byte[] payload) throws Exception {
    checkTag(payload);
    if (payload[0] != DATA) {
      throw new IllegalArgumentException("Not a data event: tag " + payload[0]);
    }
    return coder.decode(
        new ByteArrayInputStream(payload, 1, payload.length - 1), Coder.Context.OUTER);
  }

  private static void checkTag(byte[] payload) {
    if (payload.length == 0 || (payload[0] != DATA && payload[0] != PROCESSING_TIME)) {
      throw new IllegalArgumentException(
          "Malformed stage payload: " + (payload.length == 0 ? "empty" : "tag " + payload[0]));
    }
  }
}
