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

  OutputRouter(List<List<Target>> targetsByOutput, int partition) {
    this.targets = new Target[targetsByOutput.size()][];
    for (int o = 0; o < targets.length; o++) {
      targets[o] = targetsByOutput.get(o).toArray(new Target[0]);
      for (Target target : targets[o]) {
        for (RStream stream : target.streams) {
          if (stream != null) {
            allStreams.add(stream);
          }
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
   * True if some output stream holds more unreleased bytes than {@code limitBytes}, or persists
   * too slowly (its unpersisted backlog is past its own bound). Only sources wait on this: a
   * vertex with inputs must go on, or it could hold up the very streams it waits for.
   */
  boolean congested(long limitBytes) {
    for (RStream stream : allStreams) {
      if (stream.unreleasedBytes() > limitBytes || stream.persistenceCongested()) {
        return true;
      }
    }
    return false;
  }

  /** Wakes the vertex when a reader released bytes or a persistence backlog drained. */
  void onReleased(Runnable listener) {
    for (RStream stream : allStreams) {
      stream.onReleased(listener);
    }
  }
}
