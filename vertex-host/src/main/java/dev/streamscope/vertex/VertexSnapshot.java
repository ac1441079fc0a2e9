package dev.streamscope.vertex;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import dev.streamscope.rstream.StreamEvent;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * What a vertex instance saves at an epoch boundary so that a replacement continues exactly where
 * it was: its position in each input stream (and the merge turn), its next seq on each output
 * stream, its watermarks, and the operator's own state as opaque bytes. No global barrier: each
 * vertex snapshots on its own schedule, because what it writes depends only on what it read.
 *
 * <p>Payload format (inside the snapshot store's checksummed envelope): format version (int),
 * finished (boolean), merge turn (int), channels (int count, then stream id UTF, position long,
 * watermark long, ended boolean each), input watermarks (int count, longs), outputs (int count,
 * then emitted watermark long and data-since-punctuation boolean each), output streams (int count,
 * then stream id UTF and next seq long each), rebalance cursors (int count, ints), operator state
 * (int length, bytes), then (format 2) the held tails (int count, then stream id UTF, first seq
 * long, event count int and the events: kind byte, then payload length int and bytes for data, or
 * watermark long for punctuation). Format 1, without tails, is still read.
 *
 * <p>Held tails are those of a vertex with strong productions ({@link HeldStream}): per output
 * stream, the events it wrote that the stream may not keep across a crash, the newest of them
 * still unseen. A restored vertex writes them first, from their first seq; its output positions
 * are after them. Empty for other vertices.
 */
record VertexSnapshot(
    long version,
    boolean finished,
    int mergeTurn,
    List<ChannelPosition> channels,
    long[] inputWatermarkMillis,
    long[] emittedWatermarkMillis,
    boolean[] dataSincePunctuation,
    List<OutputPosition> outputStreams,
    int[] rebalanceCursors,
    byte[] operatorState,
    List<HeldTail> heldOutputs) {
  private static final int FORMAT_VERSION = 2;

  /** Where the vertex stood in one input stream. */
  record ChannelPosition(String streamId, long position, long watermarkMillis, boolean ended) {}

  /** The next seq the vertex writes on one output stream. */
  record OutputPosition(String streamId, long nextSeq) {}

  /** Events of one output stream a restored vertex writes again, from {@code firstSeq} on. */
  record HeldTail(String streamId, long firstSeq, List<StreamEvent> events) {}

  /**
   * Where a vertex restored from this snapshot starts writing on each output stream: the first
   * seq of its held tail, or its output position if it holds none. The streams must hold
   * everything below (a restored vertex cannot leave a gap).
   */
  List<OutputPosition> writesFrom() {
    if (heldOutputs.isEmpty()) {
      return outputStreams;
    }
    List<OutputPosition> from = new ArrayList<>(heldOutputs.size());
    for (HeldTail tail : heldOutputs) {
      from.add(new OutputPosition(tail.streamId(), tail.firstSeq()));
    }
    return from;
  }

  byte[] encode() {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(256 + operatorState.length);
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeInt(FORMAT_VERSION);
      out.writeBoolean(finished);
      out.writeInt(mergeTurn);
      out.writeInt(channels.size());
      for (ChannelPosition channel : channels) {
        out.writeUTF(channel.streamId());
        out.writeLong(channel.position());
        out.writeLong(channel.watermarkMillis());
        out.writeBoolean(channel.ended());
      }
      writeLongs(out, inputWatermarkMillis);
      out.writeInt(emittedWatermarkMillis.length);
      for (int o = 0; o < emittedWatermarkMillis.length; o++) {
        out.writeLong(emittedWatermarkMillis[o]);
        out.writeBoolean(dataSincePunctuation[o]);
      }
      out.writeInt(outputStreams.size());
      for (OutputPosition output : outputStreams) {
        out.writeUTF(output.streamId());
        out.writeLong(output.nextSeq());
      }
      out.writeInt(rebalanceCursors.length);
      for (int cursor : rebalanceCursors) {
        out.writeInt(cursor);
      }
      out.writeInt(operatorState.length);
      out.write(operatorState);
      out.writeInt(heldOutputs.size());
      for (HeldTail tail : heldOutputs) {
        writeTail(out, tail);
      }
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException("Cannot happen: writing to memory", e);
    }
  }

  static VertexSnapshot decode(long version, byte[] payload) throws IOException {
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(payload));
    int format = in.readInt();
    if (format != 1 && format != FORMAT_VERSION) {
      throw new IOException(
          "vertex snapshot format " + format + ", expected 1 or " + FORMAT_VERSION);
    }
    boolean finished = in.readBoolean();
    int mergeTurn = in.readInt();
    int channelCount = in.readInt();
    List<ChannelPosition> channels = new ArrayList<>(channelCount);
    for (int i = 0; i < channelCount; i++) {
      channels.add(new ChannelPosition(in.readUTF(), in.readLong(), in.readLong(), in.readBoolean()));
    }
    long[] inputWatermarks = readLongs(in);
    int outputCount = in.readInt();
    long[] emitted = new long[outputCount];
    boolean[] dataSince = new boolean[outputCount];
    for (int o = 0; o < outputCount; o++) {
      emitted[o] = in.readLong();
      dataSince[o] = in.readBoolean();
    }
    int streamCount = in.readInt();
    List<OutputPosition> outputs = new ArrayList<>(streamCount);
    for (int i = 0; i < streamCount; i++) {
      outputs.add(new OutputPosition(in.readUTF(), in.readLong()));
    }
    int[] cursors = new int[in.readInt()];
    for (int i = 0; i < cursors.length; i++) {
      cursors[i] = in.readInt();
    }
    byte[] operatorState = new byte[in.readInt()];
    in.readFully(operatorState);
    List<HeldTail> tails = new ArrayList<>();
    for (int i = format == 1 ? 0 : in.readInt(); i > 0; i--) {
      tails.add(readTail(in));
    }
    return new VertexSnapshot(
        version, finished, mergeTurn, channels, inputWatermarks, emitted, dataSince, outputs,
        cursors, operatorState, tails);
  }

  private static void writeTail(DataOutputStream out, HeldTail tail) throws IOException {
    out.writeUTF(tail.streamId());
    out.writeLong(tail.firstSeq());
    out.writeInt(tail.events().size());
    for (StreamEvent event : tail.events()) {
      out.writeByte(event.kind().ordinal());
      if (event.isData()) {
        out.writeInt(event.payload().length);
        out.write(event.payload());
      } else {
        out.writeLong(event.watermarkMillis());
      }
    }
  }

  private static HeldTail readTail(DataInputStream in) throws IOException {
    String streamId = in.readUTF();
    long firstSeq = in.readLong();
    int count = in.readInt();
    List<StreamEvent> events = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      long seq = firstSeq + i;
      int kind = in.readByte();
      if (kind == StreamEvent.Kind.DATA.ordinal()) {
        byte[] payload = new byte[in.readInt()];
        in.readFully(payload);
        events.add(StreamEvent.data(seq, payload));
      } else if (kind == StreamEvent.Kind.WATERMARK.ordinal()) {
        events.add(StreamEvent.watermark(seq, in.readLong()));
      } else if (kind == StreamEvent.Kind.END.ordinal()) {
        in.readLong();
        events.add(StreamEvent.end(seq));
      } else {
        throw new IOException("held event of unknown kind " + kind + " on stream " + streamId);
      }
    }
    return new HeldTail(streamId, firstSeq, events);
  }

  private static void writeLongs(DataOutputStream out, long[] values) throws IOException {
    out.writeInt(values.length);
    for (long value : values) {
      out.writeLong(value);
    }
  }

  private static long[] readLongs(DataInputStream in) throws IOException {
    long[] values = new long[in.readInt()];
    for (int i = 0; i < values.length; i++) {
      values[i] = in.readLong();
    }
    return values;
  }
}
