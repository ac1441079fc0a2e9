package dev.streamscope.translation.runtime;

import dev.streamscope.translation.TranslatedJob;
import dev.streamscope.vertex.Operator;
import dev.streamscope.vertex.OperatorContext;
import dev.streamscope.vertex.SourceOperator;
import dev.streamscope.vertex.graph.EdgeKind;
import dev.streamscope.vertex.graph.InputSpec;
import dev.streamscope.vertex.graph.StageSpec;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Drives the operators of a translated job one vertex at a time, as the vertex host does
 * (bundles are input epochs, channels merged in turns, punctuation after every bundle, timers
 * fired when the clock reaches them), on a clock that moves a fixed step per driver step: every
 * run of a vertex on the same inputs makes the same calls. Stages run in topological order, each
 * to its end, reading what its producers wrote in the last {@link #runAll}.
 *
 * <p>A {@link Plan} makes a vertex take snapshots: after every bundle (discarded: they must change
 * nothing), or once after bundle k and then "crash" after bundle m ≥ k: a fresh operator is
 * restored from the snapshot and the driver goes back to where it was at k (its output since then
 * is dropped, as rStream uniqueness absorbs the rewrite). The trace must then be the plain run's.
 */
final class JobDriver {
  static final long CLOCK_STEP_MILLIS = 250;
  private static final long CLOCK_START_MILLIS = 1_000_000;
  private static final int STEPS_MAX = 1_000_000;

  /**
   * When one vertex snapshots and restores: after every bundle (discarded), or in rounds, round
   * i taking a snapshot after bundle {@code snapshotAfter[i]} and crashing after bundle {@code
   * crashAfter[i]} (bundles counted as in a plain run).
   */
  record Plan(
      boolean snapshotAfterEveryBundle,
      int[] snapshotAfter,
      int[] crashAfter,
      boolean restoreOperatorState) {
    static Plan plain() {
      return new Plan(false, new int[0], new int[0], false);
    }

    static Plan snapshotEverywhere() {
      return new Plan(true, new int[0], new int[0], false);
    }

    /** Snapshot after bundle {@code k} (0: right after open), crash after bundle {@code m}. */
    static Plan restore(int k, int m) {
      return rounds(true, k, m);
    }

    /**
     * Two rounds: the operator restored in the first is snapshotted (with what it has not
     * touched since its own restore) and restored again.
     */
    static Plan restoreTwice(int k1, int m1, int k2, int m2) {
      if (k2 <= k1) {
        throw new IllegalArgumentException("the second snapshot must come after the first");
      }
      return rounds(true, k1, m1, k2, m2);
    }

    /**
     * As {@link #restore}{@code (k, k)}, but the fresh operator is not given the snapshot: what
     * a restore without operator state would do (tests check it differs, so the state mattered).
     */
    static Plan forgetAt(int k) {
      return rounds(false, k, k);
    }

    private static Plan rounds(boolean restoreOperatorState, int... snapshotThenCrash) {
      int rounds = snapshotThenCrash.length / 2;
      int[] snapshots = new int[rounds];
      int[] crashes = new int[rounds];
      for (int i = 0; i < rounds; i++) {
        snapshots[i] = snapshotThenCrash[2 * i];
        crashes[i] = snapshotThenCrash[2 * i + 1];
        if (snapshots[i] < 0 || crashes[i] < snapshots[i]) {
          throw new IllegalArgumentException(
              "need 0 <= snapshot <= crash, got " + snapshots[i] + ", " + crashes[i]);
        }
      }
      return new Plan(false, snapshots, crashes, restoreOperatorState);
    }

    int rounds() {
      return snapshotAfter.length;
    }
  }

  /**
   * What one vertex wrote: per output, its stream events (data with key hash and bytes,
   * punctuation, end); and per bundle its output watermarks and next processing-time timer.
   */
  /** {@code restored}: every restore the plan asked for happened (the run went that far). */
  record Trace(List<List<String>> outputs, List<String> bundles, boolean restored) {
    /** The same output and schedule (whether restored or not). */
    boolean sameAs(Trace other) {
      return outputs.equals(other.outputs) && bundles.equals(other.bundles);
    }

    int bundleCount() {
      return bundles.size();
    }
  }

  private enum Kind {
    DATA,
    WATERMARK,
    END
  }

  private record Event(Kind kind, int keyHash, byte[] payload, long watermarkMillis) {
    @Override
    public String toString() {
      switch (kind) {
        case DATA:
          return "data h=" + keyHash + " " + Base64.getEncoder().encodeToString(payload);
        case WATERMARK:
          return "watermark " + watermarkMillis;
        default:
          return "end";
      }
    }
  }

  private final TranslatedJob job;
  private final int sourceElementsPerBundle;
  private final Map<String, List<List<Event>>> written = new HashMap<>();
  private final Map<String, Operator> operators = new HashMap<>();

  JobDriver(TranslatedJob job, int sourceElementsPerBundle) {
    this.job = job;
    this.sourceElementsPerBundle = sourceElementsPerBundle;
  }

  /** Runs every vertex once, in stage order; {@code plans} by vertex id (default: plain). */
  Map<String, Trace> runAll(Map<String, Plan> plans) throws Exception {
    Map<String, Trace> traces = new LinkedHashMap<>();
    for (StageSpec stage : job.graph().stages()) {
      for (int p = 0; p < stage.parallelism(); p++) {
        String vertexId = stage.id() + "#" + p;
        VertexRun run = new VertexRun(stage, p, plans.getOrDefault(vertexId, Plan.plain()));
        traces.put(vertexId, run.run());
        written.put(vertexId, run.outputs);
        operators.put(vertexId, run.operator);
      }
    }
    return traces;
  }

  /** The operator of vertex {@code vertexId} in the last {@link #runAll}, as it ended. */
  Operator operator(String vertexId) {
    return operators.get(vertexId);
  }

  /** Runs vertex {@code vertexId} again on what its producers wrote in the last {@link #runAll}. */
  Trace rerun(String vertexId, Plan plan) throws Exception {
    int hash = vertexId.lastIndexOf('#');
    StageSpec stage = job.graph().stage(vertexId.substring(0, hash));
    return new VertexRun(stage, Integer.parseInt(vertexId.substring(hash + 1)), plan).run();
  }

  /** One input channel: the events a producer partition wrote for this consumer partition. */
  private static final class Channel {
    final int input;
    final List<Event> events;
    int position;
    long watermarkMillis = Long.MIN_VALUE;
    boolean ended;

    Channel(int input, List<Event> events) {
      this.input = input;
      this.events = events;
    }
  }

  /** What the driver itself holds for a vertex (the vertex host's part of a snapshot). */
  private record HostState(
      long nowMillis,
      int bundles,
      int turn,
      int[] positions,
      long[] channelWatermarks,
      boolean[] channelEnded,
      long[] inputWatermarks,
      long[] emittedWatermarks,
      boolean[] dataSincePunctuation,
      int[] outputSizes,
      int logSize) {}

  private final class VertexRun implements OperatorContext {
    final StageSpec stage;
    final int partition;
    final Plan plan;
    final List<Channel> channels = new ArrayList<>();
    final List<List<Event>> outputs = new ArrayList<>();
    final long[] emittedWatermarks;
    final boolean[] dataSincePunctuation;
    final long[] inputWatermarks;
    final List<String> log = new ArrayList<>();
    Operator operator;
    long nowMillis = CLOCK_START_MILLIS;
    int bundles;
    int turn;
    long snapshotVersion;
    boolean finished;
    /** Rounds of the plan done (snapshot taken and restored from). */
    int round;
    byte[] snapshot;
    HostState saved;

    VertexRun(StageSpec stage, int partition, Plan plan) {
      this.stage = stage;
      this.partition = partition;
      this.plan = plan;
      for (int o = 0; o < stage.outputCount(); o++) {
        outputs.add(new ArrayList<>());
      }
      emittedWatermarks = new long[stage.outputCount()];
      Arrays.fill(emittedWatermarks, Long.MIN_VALUE);
      dataSincePunctuation = new boolean[stage.outputCount()];
      inputWatermarks = new long[stage.inputs().size()];
      Arrays.fill(inputWatermarks, Long.MIN_VALUE);
      for (int i = 0; i < stage.inputs().size(); i++) {
        InputSpec input = stage.inputs().get(i);
        StageSpec producer = job.graph().stage(input.producerStage());
        for (int from = 0; from < producer.parallelism(); from++) {
          if (input.kind() == EdgeKind.FORWARD && from != partition) {
            continue;
          }
          List<List<Event>> producerOutputs = written.get(producer.id() + "#" + from);
          if (producerOutputs == null) {
            throw new IllegalStateException(producer.id() + "#" + from + " has not run yet");
          }
          channels.add(
              new Channel(
                  i,
                  routed(
                      producerOutputs.get(input.producerOutput()),
                      input.kind(),
                      stage.parallelism())));
        }
      }
    }

    /** The events of a producer output that reach this partition over an edge of {@code kind}. */
    private List<Event> routed(List<Event> events, EdgeKind kind, int consumers) {
      List<Event> mine = new ArrayList<>();
      int dataIndex = 0;
      for (Event event : events) {
        boolean keep = true;
        if (event.kind() == Kind.DATA) {
          if (kind == EdgeKind.HASH) {
            keep = Math.floorMod(event.keyHash(), consumers) == partition;
          } else if (kind == EdgeKind.REBALANCE) {
            keep = dataIndex % consumers == partition;
          }
          dataIndex++;
        }
        if (keep) {
          mine.add(event);
        }
      }
      return mine;
    }

    Trace run() throws Exception {
      operator = stage.operatorFactory().apply(partition);
      operator.open(this);
      snapshotOrCrash();
      for (int steps = 0; !finished; steps++) {
        if (steps > STEPS_MAX) {
          throw new AssertionError(vertexId() + " did not finish in " + STEPS_MAX + " steps");
        }
        nowMillis += CLOCK_STEP_MILLIS;
        operator.beginTurn();
        try {
          bundle();
          bundles++;
          log.add(bundleLine());
          if (plan.snapshotAfterEveryBundle() && !finished) {
            operator.snapshotState(++snapshotVersion, new DataOutputStream(new ByteArrayOutputStream()));
          }
        } finally {
          operator.endTurn();
        }
        snapshotOrCrash();
      }
      List<List<String>> rendered = new ArrayList<>();
      for (List<Event> output : outputs) {
        rendered.add(output.stream().map(Event::toString).toList());
      }
      return new Trace(rendered, List.copyOf(log), round == plan.rounds() && round > 0);
    }

    private String vertexId() {
      return stage.id() + "#" + partition;
    }

    private String bundleLine() {
      StringBuilder line = new StringBuilder("bundle ").append(bundles).append(" watermarks");
      for (int o = 0; o < outputs.size(); o++) {
        line.append(' ').append(operator.outputWatermark(o));
      }
      return line.append(" next timer ").append(operator.nextProcessingTimeMillis()).toString();
    }

    /** One bundle: due timers, a source's emission, or one input epoch. */
    private void bundle() throws Exception {
      if (operator.nextProcessingTimeMillis() <= nowMillis) {
        operator.startBundle();
        operator.advanceProcessingTime(nowMillis);
        operator.finishBundle();
        punctuate();
        return;
      }
      if (channels.isEmpty()) {
        operator.startBundle();
        SourceOperator.Status status =
            ((SourceOperator) operator).emit(sourceElementsPerBundle);
        operator.finishBundle();
        punctuate();
        if (status == SourceOperator.Status.DONE) {
          finish();
        }
        return;
      }
      operator.startBundle();
      while (true) {
        Channel channel = channels.get(turn);
        if (channel.ended) {
          turn = (turn + 1) % channels.size();
          continue;
        }
        if (channel.position == channel.events.size()) {
          throw new AssertionError(vertexId() + ": a channel ended without an end event");
        }
        Event event = channel.events.get(channel.position++);
        if (event.kind() == Kind.DATA) {
          operator.processElement(channel.input, event.payload());
          continue;
        }
        channel.watermarkMillis = event.watermarkMillis();
        channel.ended = event.kind() == Kind.END;
        turn = (turn + 1) % channels.size();
        long watermark = Long.MAX_VALUE;
        for (Channel other : channels) {
          if (other.input == channel.input) {
            watermark = Math.min(watermark, other.watermarkMillis);
          }
        }
        if (watermark > inputWatermarks[channel.input]) {
          inputWatermarks[channel.input] = watermark;
          operator.advanceWatermark(channel.input, watermark);
        }
        break;
      }
      operator.finishBundle();
      punctuate();
      if (channels.stream().allMatch(c -> c.ended)) {
        finish();
      }
    }

    private void punctuate() {
      for (int o = 0; o < outputs.size(); o++) {
        punctuate(o, operator.outputWatermark(o));
      }
    }

    /** As the vertex host: only if the watermark advanced or data was written since. */
    private void punctuate(int output, long watermarkMillis) {
      if (watermarkMillis <= emittedWatermarks[output] && !dataSincePunctuation[output]) {
        return;
      }
      emittedWatermarks[output] = Math.max(watermarkMillis, emittedWatermarks[output]);
      dataSincePunctuation[output] = false;
      outputs.get(output).add(new Event(Kind.WATERMARK, 0, null, emittedWatermarks[output]));
    }

    private void finish() throws Exception {
      operator.close();
      for (int o = 0; o < outputs.size(); o++) {
        punctuate(o, Long.MAX_VALUE);
        outputs.get(o).add(new Event(Kind.END, 0, null, Long.MAX_VALUE));
      }
      finished = true;
    }

    /** The plan's current round: a snapshot at its bundle, then a crash at its bundle. */
    private void snapshotOrCrash() throws Exception {
      if (finished || round == plan.rounds()) {
        return;
      }
      if (bundles == plan.snapshotAfter()[round] && saved == null) {
        takeSnapshot();
      }
      if (bundles == plan.crashAfter()[round] && saved != null) {
        crashAndRestore();
        saved = null;
        round++;
        snapshotOrCrash(); // The next round may snapshot right away.
      }
    }

    private void takeSnapshot() throws Exception {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      operator.beginTurn();
      try {
        operator.snapshotState(++snapshotVersion, new DataOutputStream(bytes));
      } finally {
        operator.endTurn();
      }
      snapshot = bytes.toByteArray();
      saved = save();
    }

    /** A fresh operator restored from the snapshot; the driver goes back to where it was then. */
    private void crashAndRestore() throws Exception {
      load(saved);
      operator = stage.operatorFactory().apply(partition);
      operator.open(this);
      if (plan.restoreOperatorState()) {
        operator.beginTurn();
        try {
          operator.restoreState(
              new java.io.DataInputStream(new java.io.ByteArrayInputStream(snapshot)));
        } finally {
          operator.endTurn();
        }
      }
    }

    private HostState save() {
      int[] positions = new int[channels.size()];
      long[] channelWatermarks = new long[channels.size()];
      boolean[] channelEnded = new boolean[channels.size()];
      for (int c = 0; c < channels.size(); c++) {
        positions[c] = channels.get(c).position;
        channelWatermarks[c] = channels.get(c).watermarkMillis;
        channelEnded[c] = channels.get(c).ended;
      }
      int[] outputSizes = outputs.stream().mapToInt(List::size).toArray();
      return new HostState(
          nowMillis,
          bundles,
          turn,
          positions,
          channelWatermarks,
          channelEnded,
          inputWatermarks.clone(),
          emittedWatermarks.clone(),
          dataSincePunctuation.clone(),
          outputSizes,
          log.size());
    }

    private void load(HostState state) {
      nowMillis = state.nowMillis();
      bundles = state.bundles();
      turn = state.turn();
      for (int c = 0; c < channels.size(); c++) {
        channels.get(c).position = state.positions()[c];
        channels.get(c).watermarkMillis = state.channelWatermarks()[c];
        channels.get(c).ended = state.channelEnded()[c];
      }
      System.arraycopy(state.inputWatermarks(), 0, inputWatermarks, 0, inputWatermarks.length);
      System.arraycopy(
          state.emittedWatermarks(), 0, emittedWatermarks, 0, emittedWatermarks.length);
      System.arraycopy(
          state.dataSincePunctuation(), 0, dataSincePunctuation, 0, dataSincePunctuation.length);
      for (int o = 0; o < outputs.size(); o++) {
        List<Event> output = outputs.get(o);
        output.subList(state.outputSizes()[o], output.size()).clear();
      }
      log.subList(state.logSize(), log.size()).clear();
    }

    // OperatorContext

    @Override
    public void emit(int output, int keyHash, byte[] payload) {
      dataSincePunctuation[output] = true;
      outputs.get(output).add(new Event(Kind.DATA, keyHash, payload, 0));
    }

    @Override
    public long nowMillis() {
      return nowMillis;
    }

    @Override
    public String stageId() {
      return stage.id();
    }

    @Override
    public int partition() {
      return partition;
    }

    @Override
    public int parallelism() {
      return stage.parallelism();
    }
  }
}
