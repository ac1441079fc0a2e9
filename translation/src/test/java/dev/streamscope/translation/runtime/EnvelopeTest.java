package dev.streamscope.translation.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

class EnvelopeTest {
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static final Coder<WindowedValue<?>> CODER =
      (Coder) WindowedValues.getFullCoder(StringUtf8Coder.of(), GlobalWindow.Coder.INSTANCE);

  @Test
  void dataRoundTrips() throws Exception {
    WindowedValue<?> element = WindowedValues.timestampedValueInGlobalWindow("x", new Instant(7));
    byte[] payload = Envelope.data(CODER, element);
    assertFalse(Envelope.isProcessingTime(payload));
    assertEquals(element, Envelope.dataOf(CODER, payload));
  }

  @Test
  void processingTimeRoundTripsAtTheExtremes() {
    for (long millis : new long[] {Long.MIN_VALUE, -1, 0, 1_700_000_000_000L, Long.MAX_VALUE}) {
      byte[] payload = Envelope.processingTime(millis);
      assertTrue(Envelope.isProcessingTime(payload));
      assertEquals(millis, Envelope.processingTimeOf(payload));
    }
  }

  @Test
  void malformedPayloadsFailLoudly() {
    assertThrows(IllegalArgumentException.class, () -> Envelope.isProcessingTime(new byte[0]));
    assertThrows(IllegalArgumentException.class, () -> Envelope.isProcessingTime(new byte[] {7}));
    assertThrows(
        IllegalArgumentException.class,
        () -> Envelope.dataOf(CODER, Envelope.processingTime(3)));
    byte[] dataTag = {Envelope.DATA};
    assertThrows(IllegalArgumentException.class, () -> Envelope.processingTimeOf(dataTag));
  }
}
