package dev.streamscope.vertex;

import dev.streamscope.rstream.RStream;
import dev.streamscope.rstream.StreamEvent;
import dev.streamscope.vertex.graph.EdgeKind;
import java.util.ArrayList;
import java.util.List;

/**
 * Routes a vertex's emitted elements to its output rStreams by edge kind and numbers them. The
 * router keeps its own next seq per stream (not the stream's): a restarted vertex starts again
 * from where its snapshot (or the start) says, so replayed emissions rewrite the same seqs with
 * the same events, which uniqueness absorbs, and a differing one is caught as a determinism
 * violation.
 *
 * <p>A router that holds its outputs (strong productions) writes through a {@link HeldStream} per
 * stream: nothing reaches a stream before {@link #releaseHeld}, which the vertex calls once a
 * snapshot holds it.
 */
final class OutputRouter {
  /** One consumer edge of one output: a stream per consumer partition. */
  static final class Target {
    final EdgeKind kind;
    final RStream[] streams;
    final long[] nextSeqs;
    int nextRebalance;

    Target(EdgeKind kind, RStream[] streams) {
      this.kind = kind;
      this.streams = streams;
      this.nextSeqs = new long[streams.length];
    }

    void append(int index, byte[] payload) {
      streams[index].write(StreamEvent.data(nextSeqs[index]++, payload));
    }

    void punctuate(int index, long watermarkMillis) {
      streams[index].write(StreamEvent.watermark(nextSeqs[index]++, watermarkMillis));
    }

    void end(int index) {
      streams[index].write(StreamEvent.end(nextSeqs[index]++));
    }
  }

  private final Target[][] targets;
  private final int partition;
  private final long[] emittedWatermarkMillis;
  private final boolean[] dataSincePunctuation;
  private final List<RStream> allStreams = new ArrayList<>();
  /** The streams, in {@link #allStreams} order, if this router holds its outputs; else empty. */
  private final List<HeldStream> heldStreams = new ArrayList<>();

  /** With {@code holdOutputs}, what the vertex writes waits for {@link #releaseHeld}. */
  OutputRouter(List<List<Target>> targetsByOutput, int partition, boolean holdOutputs) {
    this.targets = new Target[targetsByOutput.size()][];
    for (int o = 0; o < targets.length; o++) {
      targets[o] = targetsByOutput.get(o).toArray(new Target[0]);
      for (Target target : targets[o]) {
        for (int i = 0; i < target.streams.length; i++) {
          if (target.streams[i] == null) {
            continue;
          }
          if (holdOutputs) {
            HeldStream held = new HeldStream(target.streams[i]);
            target.streams[i] = held;
            heldStreams.add(held);
          }
          allStreams.add(target.streams[i]);
        }
      }
    }
    this.partition = partition;
    this.emittedWatermarkMillis = new long[targets.length];
    java.util.Arrays.fill(emittedWatermarkMillis, Long.MIN_VALUE);
    this.dataSincePunctuation = new boolean[targets.length];
  }

  void emit(int output, int keyHash, byte[] payload) {
    dataSincePunctuation[output] = true;
    for (Target target : targets[output]) {
      switch (target.kind) {
        case FORWARD:
          target.append(partition, payload);
          break;
        case HASH:
          target.append(Math.floorMod(keyHash, target.streams.length), payload);
          break;
        case REBALANCE:
          target.append(target.nextRebalance, payload);
          target.nextRebalance = (target.nextRebalance + 1) % target.streams.length;
          break;
        case BROADCAST:
          for (int i = 0; i < target.streams.length; i++) {
            target.append(i, payload);
          }
          break;
        default:
          throw new IllegalStateException("Unknown edge kind " + target.kind);
      }
    }
  }

  /**
   * Writes a punctuation on every stream of {@code output} if its watermark advanced or data was
   * written since the last one (each punctuation closes an epoch for the reader's merge).
   */
  void punctuate(int output, long watermarkMillis) {
    boolean advanced = watermarkMillis > emittedWatermarkMillis[output];
    if (!advanced && !dataSincePunctuation[output]) {
      return;
    }
    long watermark = Math.max(watermarkMillis, emittedWatermarkMillis[output]);
    emittedWatermarkMillis[output] = watermark;
    dataSincePunctuation[output] = false;
    for (Target target : targets[output]) {
      for (int i = 0; i < target.streams.length; i++) {
        if (target.streams[i] != null) {
          target.punctuate(i, watermark);
        }
      }
    }
  }

  /** Each output stream's next seq, in a fixed order, for a snapshot. */
  List<VertexSnapshot.OutputPosition> positions() {
    List<VertexSnapshot.OutputPosition> positions = new ArrayList<>();
    for (Target[] outputTargets : targets) {
      for (Target target : outputTargets) {
        for (int i = 0; i < target.streams.length; i++) {
          if (target.streams[i] != null) {
            positions.add(
                new VertexSnapshot.OutputPosition(target.streams[i].id(), target.nextSeqs[i]));
          }
        }
      }
    }
    return positions;
  }

  /** A number that grows whenever the vertex writes an event. */
  long progress() {
    long sum = 0;
    for (Target[] outputTargets : targets) {
      for (Target target : outputTargets) {
        for (long next : target.nextSeqs) {
          sum += next;
        }
      }
    }
    return sum;
  }

  int[] rebalanceCursors() {
    List<Integer> cursors = new ArrayList<>();
    for (Target[] outputTargets : targets) {
      for (Target target : outputTargets) {
        cursors.add(target.nextRebalance);
      }
    }
    return cursors.stream().mapToInt(Integer::intValue).toArray();
  }

  long[] emittedWatermarkMillis() {
    return emittedWatermarkMillis.clone();
  }

  boolean[] dataSincePunctuation() {
    return dataSincePunctuation.clone();
  }

  /** True if this router holds its outputs until {@link #releaseHeld} (strong productions). */
  boolean holdsOutputs() {
    return !heldStreams.isEmpty();
  }

  /** True if some output written since the last {@link #releaseHeld} waits for it. */
  boolean holdsAny() {
    for (HeldStream stream : heldStreams) {
      if (stream.holdsAny()) {
        return true;
      }
    }
    return false;
  }

  /** Writes and publishes what the streams hold: a snapshot now holds it. */
  void releaseHeld() {
    for (HeldStream stream : heldStreams) {
      stream.release();
    }
  }

  /** What a snapshot must hold of each stream (see {@link HeldStream#tail}); empty if not held. */
  List<VertexSnapshot.HeldTail> heldTails() {
    List<VertexSnapshot.HeldTail> tails = new ArrayList<>(heldStreams.size());
    for (HeldStream stream : heldStreams) {
      tails.add(stream.tail());
    }
    return tails;
  }

  /**
   * Continues writing where a snapshot says: same seqs, cursors and punctuation state. A router
   * that holds its outputs first writes the snapshot's held tails again.
   */
  void restore(VertexSnapshot snapshot) {
    List<VertexSnapshot.OutputPosition> positions = snapshot.outputStreams();
    int next = 0;
    int cursor = 0;
    for (Target[] outputTargets : targets) {
      for (Target target : outputTargets) {
        for (int i = 0; i < target.streams.length; i++) {
          if (target.streams[i] == null) {
            continue;
          }
          VertexSnapshot.OutputPosition position = positions.get(next++);
          if (!position.streamId().equals(target.streams[i].id())) {
            throw new IllegalStateException(
                "Snapshot output stream " + position.streamId() + " is not the vertex's "
                    + target.streams[i].id());
          }
          target.nextSeqs[i] = position.nextSeq();
        }
        target.nextRebalance = snapshot.rebalanceCursors()[cursor++];
      }
    }
    System.arraycopy(
        snapshot.emittedWatermarkMillis(), 0, emittedWatermarkMillis, 0, targets.length);
    System.arraycopy(snapshot.dataSincePunctuation(), 0, dataSincePunctuation, 0, targets.length);
    rewriteTails(snapshot);
  }

  /**
   * Writes a snapshot's held tails again. A snapshot may come from a run whose stage held its
   * outputs when this one does not, or the other way round (the stage's marking changed): tails
   * are written either way, and a holding router without them starts empty at the positions.
   */
  private void rewriteTails(VertexSnapshot snapshot) {
    List<VertexSnapshot.HeldTail> tails = snapshot.heldOutputs();
    if (!tails.isEmpty() && tails.size() != allStreams.size()) {
      throw new IllegalStateException(
          "Snapshot holds tails of " + tails.size() + " output streams, the vertex has "
              + allStreams.size());
    }
    List<VertexSnapshot.OutputPosition> positions = snapshot.outputStreams();
    for (int i = 0; i < allStreams.size(); i++) {
      VertexSnapshot.HeldTail tail =
          tails.isEmpty()
              ? new VertexSnapshot.HeldTail(
                  positions.get(i).streamId(), positions.get(i).nextSeq(), List.of())
              : tails.get(i);
      if (!heldStreams.isEmpty()) {
        heldStreams.get(i).rewrite(tail);
        continue;
      }
      RStream stream = allStreams.get(i);
      if (!tail.streamId().equals(stream.id())) {
        throw new IllegalStateException(
            "Snapshot tail of stream " + tail.streamId() + " given to " + stream.id());
      }
      for (StreamEvent event : tail.events()) {
        stream.write(event);
      }
      stream.publish();
    }
  }

  /**
   * True if every output stream is durable up to the seqs in {@code positions}, or is not
   * persistent at all (then only this process can read it and nothing is waited for).
   */
  boolean durableUpTo(List<VertexSnapshot.OutputPosition> positions) {
    int next = 0;
    for (RStream stream : allStreams) {
      long needed = positions.get(next++).nextSeq();
      if (stream.persistent() && stream.durableSeq() < needed) {
        return false;
      }
    }
    return true;
  }

  /**
   * True if a vertex restored at {@code positions} could write on: every output stream already
   * holds everything below them (a restored vertex rewrites what follows; it cannot leave a gap).
   */
  boolean canContinueFrom(List<VertexSnapshot.OutputPosition> positions) {
    int next = 0;
    for (RStream stream : allStreams) {
      if (stream.nextSeq() < positions.get(next++).nextSeq()) {
        return false;
      }
    }
    return true;
  }

  int outputCount() {
    return targets.length;
  }

  void end() {
    for (int o = 0; o < targets.length; o++) {
      for (Target target : targets[o]) {
        for (int i = 0; i < target.streams.length; i++) {
          if (target.streams[i] != null) {
            target.end(i);
          }
        }
      }
    }
  }

  void publish() {
    for (RStream stream : allStreams) {
      stream.publish();
    }
  }

  /**
   * True if some output stream holds more unreleased bytes than {@code limitBytes} (unless its
   * reader waits on another input: see {@link RStream#setReaderWaitsElsewhere}), or persists too
   * slowly (its unpersisted backlog is past its own bound). Only sources wait on this: a vertex
   * with inputs must go on, or it could hold up the very streams it waits for.
   */
  boolean congested(long limitBytes) {
    for (RStream stream : allStreams) {
      if ((stream.unreleasedBytes() > limitBytes && !stream.readerWaitsElsewhere())
          || stream.persistenceCongested()) {
        return true;
      }
    }
    return false;
  }

  /** Tells {@code listener} of a rewrite found to differ after the fact (checked off-thread). */
  void onDeterminismViolation(
      java.util.function.Consumer<dev.streamscope.rstream.DeterminismViolationException> listener) {
    for (RStream stream : allStreams) {
      stream.onDeterminismViolation(listener);
    }
  }

  /** Wakes the vertex when a reader released bytes or a persistence backlog drained. */
  void onReleased(Runnable listener) {
    for (RStream stream : allStreams) {
      stream.onReleased(listener);
    }
  }
}
