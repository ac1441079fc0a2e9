package dev.streamscope.translation.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamscope.rstream.segment.PayloadFormat;
import dev.streamscope.vertex.graph.JobGraph;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

class StreamPayloadsTest {
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static final Coder<WindowedValue<?>> CODER =
      (Coder)
          WindowedValues.getFullCoder(
              KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()), IntervalWindow.getCoder());

  private static final WindowedValue<?> ELEMENT =
      WindowedValues.of(
          KV.of("apples", 3L),
          new Instant(1_500),
          List.of(new IntervalWindow(new Instant(1_000), new Instant(2_000))),
          PaneInfo.ON_TIME_AND_ONLY_FIRING);

  private static StreamPayloads payloads(boolean logicalProcessingTime) {
    StreamPayloads payloads = new StreamPayloads(logicalProcessingTime);
    payloads.addInput("Read/Words", 0, "Count.PerKey", 1, CODER);
    return payloads;
  }

  @Test
  void everyPartitionPairOfAStageInputHasItsFormatAndNothingElse() {
    StreamPayloads payloads = payloads(false);
    PayloadFormat format = payloads.formatOf(JobGraph.streamId("Read/Words", 0, 3, "Count.PerKey", 1, 12));
    assertNotNull(format);
    assertEquals(StreamPayloads.ENCODED, format.encoding());
    assertNull(payloads.formatOf(JobGraph.streamId("Read/Words", 1, 3, "Count.PerKey", 1, 12)), "another output");
    assertNull(payloads.formatOf(JobGraph.streamId("Read/Words", 0, 3, "Count.PerKey", 0, 12)), "another input");
    assertNull(payloads.formatOf(JobGraph.streamId("Read", 0, 3, "Count.PerKey", 1, 12)), "another producer");
  }

  @Test
  void anEncodedElementIsDescribedByValueTimestampWindowAndPane() throws Exception {
    PayloadFormat format = payloads(false).formatOf(JobGraph.streamId("Read/Words", 0, 0, "Count.PerKey", 1, 0));
    String text = StreamPayloads.decoder(format).describe(CoderUtils.encodeToByteArray(CODER, ELEMENT));
    assertEquals(
        "KV{apples, 3}  @ " + new Instant(1_500) + "  in [" + ELEMENT.getWindows().iterator().next() + "]  "
            + PaneInfo.ON_TIME_AND_ONLY_FIRING,
        text);
  }

  @Test
  void envelopedPayloadsHoldElementsOrProcessingTime() throws Exception {
    PayloadFormat format = payloads(true).formatOf(JobGraph.streamId("Read/Words", 0, 0, "Count.PerKey", 1, 0));
    assertEquals(StreamPayloads.ENVELOPED, format.encoding());
    StreamPayloads.Decoder decoder = StreamPayloads.decoder(format);
    assertTrue(decoder.describe(Envelope.data(CODER, ELEMENT)).startsWith("KV{apples, 3}  @ "));
    assertEquals("processing time advances to 42", decoder.describe(Envelope.processingTime(42)));
  }

  @Test
  void anUnknownEncodingOrAnUnloadableCoderIsRefusedNamingIt() {
    IllegalArgumentException unknown =
        assertThrows(IllegalArgumentException.class, () -> StreamPayloads.decoder(new PayloadFormat("avro/v9", new byte[0])));
    assertTrue(unknown.getMessage().contains("avro/v9"), unknown.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> StreamPayloads.decoder(new PayloadFormat(StreamPayloads.ENCODED, new byte[] {1, 2, 3})));
  }
}
