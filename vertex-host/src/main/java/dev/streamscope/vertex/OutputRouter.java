package dev.streamscope.vertex;

import dev.streamscope.rstream.RStream;
import dev.streamscope.rstream.StreamEvent;
import dev.streamscope.vertex.graph.EdgeKind;
import java.util.ArrayList;
import java.util.List;

/**
 * Routes a vertex's emitted elements to its output rStreams by edge kind and numbers them: each
 * stream's seq is the count of events written to it, so replaying the same emissions writes the
 * same seqs.
 */
final class OutputRouter {
  /** One consumer edge of one output: a stream per consumer partition. */
  static final class Target {
    final EdgeKind kind;
    final RStream[] streams;
    int nextRebalance;

    Target(EdgeKind kind, RStream[] streams) {
      this.kind = kind;
      this.streams = streams;
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
          append(target.streams[partition], payload);
          break;
        case HASH:
          append(target.streams[Math.floorMod(keyHash, target.streams.length)], payload);
          break;
        case REBALANCE:
          append(target.streams[target.nextRebalance], payload);
          target.nextRebalance = (target.nextRebalance + 1) % target.streams.length;
          break;
        case BROADCAST:
          for (RStream stream : target.streams) {
            append(stream, payload);
          }
          break;
        default:
          throw new IllegalStateException("Unknown edge kind " + target.kind);
      }
    }
  }

  private static void append(RStream stream, byte[] payload) {
    stream.write(StreamEvent.data(stream.nextSeq(), payload));
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
      for (RStream stream : streamsOf(target)) {
        stream.write(StreamEvent.watermark(stream.nextSeq(), watermark));
      }
    }
  }

  private RStream[] streamsOf(Target target) {
    return target.kind == EdgeKind.FORWARD ? new RStream[] {target.streams[partition]} : target.streams;
  }

  int outputCount() {
    return targets.length;
  }

  void end() {
    for (int o = 0; o < targets.length; o++) {
      for (Target target : targets[o]) {
        for (RStream stream : streamsOf(target)) {
          stream.write(StreamEvent.end(stream.nextSeq()));
        }
      }
    }
  }

  void publish() {
    for (RStream stream : allStreams) {
      stream.publish();
    }
  }

  /** True if some output stream holds more unreleased bytes than {@code limitBytes}. */
  boolean congested(long limitBytes) {
    for (RStream stream : allStreams) {
      if (stream.unreleasedBytes() > limitBytes) {
        return true;
      }
    }
    return false;
  }

  void onReleased(Runnable listener) {
    for (RStream stream : allStreams) {
      stream.onReleased(listener);
    }
  }
}
