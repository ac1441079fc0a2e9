package dev.streamscope.vertex;

import dev.streamscope.rstream.RStream;
import dev.streamscope.rstream.StreamEvent;
import java.util.List;

/**
 * Merges the input channels of a vertex in an order fixed by their content alone, so a replay
 * from the same positions sees the same interleaving (input determinism, DESIGN.md).
 *
 * <p>Rule: a turn consumes one epoch of one channel, i.e. its events up to and including its next
 * punctuation. The turn goes to the channel that is furthest behind in event time: the lowest
 * watermark, then the fewest events consumed, then the lowest index; all three are read from what
 * was consumed. An ended channel is skipped. If the channel whose turn it is has nothing published
 * yet, the merger waits for it even when others have data, and tells the others' writers not to
 * wait for this reader meanwhile (back-pressure could otherwise wait in a circle).
 *
 * <p>Why event time, not turns by count: how many punctuations a producer writes per second
 * depends on how often it gets to run, so taking channels in turn, one epoch each, let the channel
 * that punctuated more often fall behind for good, one epoch per round (its backlog grew for as
 * long as the job ran). By watermark, each channel is consumed as far as the others' event time,
 * whatever the size of its epochs; what a channel ahead holds would wait in the vertex's state
 * otherwise (its output waits for the slowest input's watermark anyway).
 *
 * <p>A vertex making strong productions merges by arrival instead: when the channel whose turn it
 * is has nothing, the next channel with an event takes the turn. Its outputs are exposed only once
 * a snapshot holds them with the state (and the positions) they came from, so the interleaving is
 * logged before anyone sees its effect, and a replay after a restore never contradicts it; and an
 * idle input (a sibling partition that got no data) does not hold back what the others send, which
 * a processing-time trigger needs to fire early downstream.
 */
final class InputMerger {
  /** One input rStream of the vertex. */
  static final class Channel {
    final RStream stream;
    final int input;
    long position;
    long watermarkMillis = Long.MIN_VALUE;
    boolean ended;

    Channel(RStream stream, int input) {
      this.stream = stream;
      this.input = input;
    }
  }

  private final Channel[] channels;
  private final int inputCount;
  private final boolean byArrival;
  private int turn;
  private int endedCount;
  private Channel last;
  /** The channel the merge found empty on its turn and waits for, or null. */
  private Channel awaited;

  /** @param byArrival merge by arrival: only for a vertex making strong productions */
  InputMerger(List<Channel> channels, int inputCount, boolean byArrival) {
    this.channels = channels.toArray(new Channel[0]);
    this.inputCount = inputCount;
    this.byArrival = byArrival;
  }

  /** The next event in merge order, or null if the channel whose turn it is has none yet. */
  StreamEvent next() {
    while (endedCount < channels.length) {
      Channel channel = channels[turn];
      if (channel.ended) {
        turn = furthestBehind();
        continue;
      }
      StreamEvent event = channel.stream.read(channel.position);
      if (event == null) {
        if ((byArrival || TestHooks.mergeByArrival) && takeTurnOfAReadyChannel()) {
          continue; // With TestHooks.mergeByArrival, the deliberate bug.
        }
        waitFor(channel);
        return null;
      }
      if (awaited != null) {
        stopWaiting();
      }
      channel.position++;
      last = channel;
      if (!event.isData()) {
        channel.watermarkMillis = event.watermarkMillis();
        if (event.kind() == StreamEvent.Kind.END) {
          channel.ended = true;
          endedCount++;
        }
        turn = furthestBehind();
      }
      return event;
    }
    return null;
  }

  /** The channel whose turn is next: the one not ended furthest behind (see the class comment). */
  private int furthestBehind() {
    int best = -1;
    for (int i = 0; i < channels.length; i++) {
      Channel candidate = channels[i];
      if (!candidate.ended && (best < 0 || isBehind(candidate, channels[best]))) {
        best = i;
      }
    }
    return best < 0 ? turn : best; // Every channel ended.
  }

  private static boolean isBehind(Channel a, Channel b) {
    if (a.watermarkMillis != b.watermarkMillis) {
      return a.watermarkMillis < b.watermarkMillis;
    }
    return a.position < b.position;
  }

  /**
   * The merge waits for {@code channel}: tells the writers of the others not to wait for this
   * reader (back-pressure), since what they wait for may be what this merge waits for.
   */
  private void waitFor(Channel channel) {
    if (awaited == channel) {
      return;
    }
    awaited = channel;
    for (Channel other : channels) {
      other.stream.setReaderWaitsElsewhere(other != channel && !other.ended);
    }
  }

  private void stopWaiting() {
    awaited = null;
    for (Channel channel : channels) {
      channel.stream.setReaderWaitsElsewhere(false);
    }
  }

  /** Gives the turn to the next channel with an event ready, if there is one. */
  private boolean takeTurnOfAReadyChannel() {
    for (int i = 1; i < channels.length; i++) {
      int candidate = (turn + i) % channels.length;
      Channel channel = channels[candidate];
      if (!channel.ended && channel.stream.read(channel.position) != null) {
        turn = candidate;
        return true;
      }
    }
    return false;
  }

  /** The channel of the event {@link #next()} returned last. */
  Channel lastChannel() {
    return last;
  }

  /** Minimum watermark over the channels of logical input {@code input}. */
  long inputWatermark(int input) {
    long min = Long.MAX_VALUE;
    for (Channel channel : channels) {
      if (channel.input == input && channel.watermarkMillis < min) {
        min = channel.watermarkMillis;
      }
    }
    return min;
  }

  int channelCount() {
    return channels.length;
  }

  int inputCount() {
    return inputCount;
  }

  boolean allEnded() {
    return endedCount == channels.length;
  }

  /** Lets every channel's stream drop what was consumed. */
  void releaseConsumed() {
    for (Channel channel : channels) {
      channel.stream.releaseBelow(channel.position);
    }
  }

  /** Where the merge stands: each channel's position, watermark and end, for a snapshot. */
  List<VertexSnapshot.ChannelPosition> positions() {
    List<VertexSnapshot.ChannelPosition> positions = new java.util.ArrayList<>(channels.length);
    for (Channel channel : channels) {
      positions.add(
          new VertexSnapshot.ChannelPosition(
              channel.stream.id(), channel.position, channel.watermarkMillis, channel.ended));
    }
    return positions;
  }

  /** A number that grows whenever the merge consumes an event. */
  long progress() {
    long sum = 0;
    for (Channel channel : channels) {
      sum += channel.position;
    }
    return sum;
  }

  /** Events published on the channels and not consumed yet (racy: for progress displays). */
  long backlog() {
    long sum = 0;
    for (Channel channel : channels) {
      sum += Math.max(0, channel.stream.publishedSeq() - channel.position);
    }
    return sum;
  }

  int turn() {
    return turn;
  }

  /** Continues the merge from a snapshot's {@link #positions()} and turn. */
  void restore(List<VertexSnapshot.ChannelPosition> positions, int restoredTurn) {
    if (positions.size() != channels.length) {
      throw new IllegalStateException(
          "Snapshot has " + positions.size() + " input channels, the vertex " + channels.length);
    }
    endedCount = 0;
    for (int i = 0; i < channels.length; i++) {
      VertexSnapshot.ChannelPosition position = positions.get(i);
      Channel channel = channels[i];
      if (!position.streamId().equals(channel.stream.id())) {
        throw new IllegalStateException(
            "Snapshot input " + i + " is stream " + position.streamId() + ", the vertex reads "
                + channel.stream.id());
      }
      channel.position = position.position();
      channel.watermarkMillis = position.watermarkMillis();
      channel.ended = position.ended();
      if (channel.ended) {
        endedCount++;
      }
    }
    turn = restoredTurn;
  }

  /**
   * Lets every channel's stream drop for good what precedes {@code positions} (those of a
   * snapshot this vertex will never need to go back before).
   */
  void gcBelow(List<VertexSnapshot.ChannelPosition> positions) {
    for (int i = 0; i < channels.length; i++) {
      channels[i].stream.gcBelow(positions.get(i).position());
    }
  }

  void onPublished(Runnable listener) {
    for (Channel channel : channels) {
      channel.stream.onPublished(listener);
    }
  }
}
