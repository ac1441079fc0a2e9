package dev.streamscope.translation.runtime;

import dev.streamscope.rstream.segment.PayloadFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.util.SerializableUtils;
import org.apache.beam.sdk.values.WindowedValue;

/**
 * How the data payloads of a job's rStreams are encoded, as {@link PayloadFormat}s that the
 * runner stores with persisted streams and {@code streamscope inspect --dump} decodes with.
 *
 * <p>Two encodings, both carrying the consumer input's full {@code WindowedValue} coder,
 * Java-serialized ({@link SerializableUtils}), as parameters:
 *
 * <ul>
 *   <li>{@link #ENCODED}: each payload is one {@code WindowedValue} encoded with that coder
 *       (outer context), as {@link FusedStageOperator} emits it;
 *   <li>{@link #ENVELOPED} (jobs with logical processing time): each payload is an {@link
 *       Envelope}, a tag byte and then the encoded {@code WindowedValue} or a processing-time
 *       advance.
 * </ul>
 */
public final class StreamPayloads {
  public static final String ENCODED = "streamscope/beam-windowed-value/v1";
  public static final String ENVELOPED = "streamscope/beam-windowed-value-envelope/v1";

  /** Turns one payload into text. */
  @FunctionalInterface
  public interface Decoder {
    String describe(byte[] payload) throws Exception;
  }

  /** The streams of one stage input (every partition pair) and the coder of their elements. */
  private record Edge(Pattern streamIds, Coder<WindowedValue<?>> coder) {}

  private final boolean logicalProcessingTime;
  private final List<Edge> edges = new ArrayList<>();

  public StreamPayloads(boolean logicalProcessingTime) {
    this.logicalProcessingTime = logicalProcessingTime;
  }

  /**
   * Declares that input {@code input} of stage {@code consumer}, fed by output {@code output} of
   * stage {@code producer}, decodes its elements with {@code coder}.
   */
  public void addInput(
      String producer, int output, String consumer, int input, Coder<WindowedValue<?>> coder) {
    // The stream ids of JobGraph.streamId: producer/out<o>/p<from>->consumer/in<i>/p<to>.
    Pattern streamIds =
        Pattern.compile(
            Pattern.quote(producer + "/out" + output + "/p")
                + "\\d+"
                + Pattern.quote("->" + consumer + "/in" + input + "/p")
                + "\\d+");
    edges.add(new Edge(streamIds, coder));
  }

  /** The format of rStream {@code streamId}, or null if it is not one of the job's. */
  public PayloadFormat formatOf(String streamId) {
    for (Edge edge : edges) {
      if (edge.streamIds.matcher(streamId).matches()) {
        return new PayloadFormat(
            logicalProcessingTime ? ENVELOPED : ENCODED, SerializableUtils.serializeToByteArray(edge.coder));
      }
    }
    return null;
  }

  /**
   * A decoder for payloads of {@code format}: each element as its value, timestamp, windows and
   * pane.
   *
   * @throws IllegalArgumentException if the encoding is not one of this class's, or its coder
   *     cannot be loaded (e.g. a user coder whose class is not on the class path)
   */
  @SuppressWarnings("unchecked")
  public static Decoder decoder(PayloadFormat format) {
    boolean enveloped = format.encoding().equals(ENVELOPED);
    if (!enveloped && !format.encoding().equals(ENCODED)) {
      throw new IllegalArgumentException("unknown payload encoding '" + format.encoding() + "'");
    }
    Coder<WindowedValue<?>> coder =
        (Coder<WindowedValue<?>>)
            SerializableUtils.deserializeFromByteArray(format.parameters(), "the coder of a stream's payloads");
    if (!enveloped) {
      return payload -> describe(CoderUtils.decodeFromByteArray(coder, payload));
    }
    return payload ->
        Envelope.isProcessingTime(payload)
            ? "processing time advances to " + Envelope.processingTimeOf(payload)
            : describe(Envelope.dataOf(coder, payload));
  }

  /** An element as text: value, timestamp, windows, pane. */
  static String describe(WindowedValue<?> element) {
    return element.getValue()
        + "  @ " + element.getTimestamp()
        + "  in " + element.getWindows()
        + "  " + element.getPaneInfo();
  }
}
