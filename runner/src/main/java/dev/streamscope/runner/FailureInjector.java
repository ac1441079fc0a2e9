package dev.streamscope.runner;

import dev.streamscope.rstream.ForwardingRStream;
import dev.streamscope.rstream.RStream;
import dev.streamscope.rstream.RStreamStore;
import dev.streamscope.rstream.StreamEvent;
import dev.streamscope.vertex.Job;
import dev.streamscope.vertex.Operator;
import dev.streamscope.vertex.OperatorContext;
import dev.streamscope.vertex.SourceOperator;
import dev.streamscope.vertex.graph.EdgeKind;
import dev.streamscope.vertex.graph.InputSpec;
import dev.streamscope.vertex.graph.JobGraph;
import dev.streamscope.vertex.graph.StageSpec;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kills vertices of a running job for real, at seeded moments ({@code --injectVertexFailures}):
 * test tooling built on {@link Job#kill} alone, so it works with any recovery strategy that
 * restarts vertices.
 *
 * <p>The plan, drawn from the seed and the graph's shape before the job starts: each kill picks a
 * victim among the job's vertex instances, and a moment, the victim's k-th <em>event</em> (an
 * rStream event it reads or writes; for a source also a turn of its operator) counted from its
 * start or its previous injected kill, with k drawn log-uniformly between 1 and 4096 so that kills
 * land early and late. A victim about to reach its end first dies just before it reads the end of
 * its last input, or, a source, just before its operator closes (all emitted, the ends not yet
 * written). So the kills land mid-job even in test pipelines whose vertices finish in one turn or
 * have no stream at all, and in a job that succeeds every planned kill happened. Kills of the same
 * vertex land one after the other. Where a kill lands depends on the seed, the pipeline and the
 * victim's input only, so a failing run replays with the same seed.
 *
 * <p>How: the victims' rStreams, and the operators of source victims, are wrapped. At the moment,
 * on the victim's own thread and before the event, the injector calls {@link Job#kill} (the
 * instance is marked dead, a fresh one is launched) and throws an {@link InjectedCrash}. That
 * Error unwinds the rest of the victim's turn — a crash in the middle of a turn, which leaves the
 * turn's unpublished output behind and does not close the operator; the vertex host ignores a
 * dead instance's failure. (User code that catches Errors would keep a dead turn running: not
 * supported.)
 */
final class FailureInjector {
  private static final Logger LOG = LoggerFactory.getLogger(FailureInjector.class);
  /** Kill moments are drawn between the 1st and the 2^12-th event of the victim. */
  private static final int KILL_AT_EVENT_LOG2_MAX = 12;

  /** One kill that happened: {@code vertexId} died at its {@code event}-th event. */
  record InjectedKill(String vertexId, long event, String moment) {
    @Override
    public String toString() {
      return vertexId + " at its event " + event + " (" + moment + ")";
    }
  }

  /** Thrown on the victim's thread once it is dead: unwinds what is left of its turn. */
  static final class InjectedCrash extends Error {
    InjectedCrash(InjectedKill kill) {
      super("Injected failure, " + kill, null, false, false);
    }
  }

  /** A vertex instance with kills planned, and its progress towards the next one. */
  private final class Victim {
    final String vertexId;
    final int inputStreams;
    /** The remaining kills, as event counts from the previous kill (or the start). */
    final ArrayDeque<Long> killAtEvents = new ArrayDeque<>();
    /**
     * Input streams whose end the victim read, in any of its attempts: once all have ended, it is
     * at its end whenever it reads one (a recomputing attempt reads every end again, one restored
     * from a snapshot maybe only the last).
     */
    final Set<String> endedInputs = new HashSet<>();
    /** Events (stream events, source turns) since the start or the last injected kill. */
    long events;

    Victim(String vertexId, int inputStreams) {
      this.vertexId = vertexId;
      this.inputStreams = inputStreams;
    }

    void beforeRead(String streamId, StreamEvent event) {
      if (killAtEvents.isEmpty()) {
        return;
      }
      events++;
      boolean atEnd = false;
      if (event.kind() == StreamEvent.Kind.END) {
        endedInputs.add(streamId);
        atEnd = endedInputs.size() == inputStreams;
      }
      if (events >= killAtEvents.peek() || atEnd) {
        kill(this, "reading " + describe(event) + " of " + streamId);
      }
    }

    void beforeWrite(String streamId, StreamEvent event) {
      if (!killAtEvents.isEmpty() && ++events >= killAtEvents.peek()) {
        kill(this, "writing " + describe(event) + " of " + streamId);
      }
    }

    void beforeSourceTurn() {
      if (!killAtEvents.isEmpty() && ++events >= killAtEvents.peek()) {
        kill(this, "starting a turn of its source");
      }
    }

    void beforeSourceClose() {
      if (!killAtEvents.isEmpty()) {
        events++;
        kill(this, "closing its source");
      }
    }
  }

  private final long seed;
  private final int planned;
  /** Victims by vertex id. */
  private final Map<String, Victim> victims = new HashMap<>();
  /** Reading and writing vertex of every stream of the graph, by stream id. */
  private final Map<String, String> readerOfStream = new HashMap<>();
  private final Map<String, String> writerOfStream = new HashMap<>();
  private final CompletableFuture<Job> job = new CompletableFuture<>();
  private final List<InjectedKill> kills = new CopyOnWriteArrayList<>();

  /** Plans {@code kills} kills (0: none) of vertices of {@code graph}, drawn from {@code seed}. */
  FailureInjector(JobGraph graph, int kills, long seed) {
    if (kills < 0) {
      throw new IllegalArgumentException("kills must be >= 0, was " + kills);
    }
    this.seed = seed;
    // The streams of the graph, named and wired as Job wires them: one per (producer partition,
    // consumer partition) pair of an edge; on a forward edge, the same partition only.
    Map<String, Integer> inputStreams = new HashMap<>();
    for (StageSpec stage : graph.stages()) {
      for (int i = 0; i < stage.inputs().size(); i++) {
        InputSpec input = stage.inputs().get(i);
        StageSpec producer = graph.stage(input.producerStage());
        for (int to = 0; to < stage.parallelism(); to++) {
          for (int from = 0; from < producer.parallelism(); from++) {
            if (input.kind() == EdgeKind.FORWARD && from != to) {
              continue;
            }
            String streamId =
                JobGraph.streamId(producer.id(), input.producerOutput(), from, stage.id(), i, to);
            String reader = vertexId(stage, to);
            String writer = vertexId(producer, from);
            readerOfStream.put(streamId, reader);
            writerOfStream.put(streamId, writer);
            inputStreams.merge(reader, 1, Integer::sum);
          }
        }
      }
    }
    List<String> candidates = new ArrayList<>();
    for (StageSpec stage : graph.stages()) {
      for (int p = 0; p < stage.parallelism(); p++) {
        candidates.add(vertexId(stage, p));
      }
    }
    SplittableRandom random = new SplittableRandom(seed ^ shapeHash(graph));
    this.planned = candidates.isEmpty() ? 0 : kills;
    for (int k = 0; k < planned; k++) {
      String victim = candidates.get(random.nextInt(candidates.size()));
      long atEvent = 1 + random.nextInt(1 << random.nextInt(KILL_AT_EVENT_LOG2_MAX + 1));
      victims
          .computeIfAbsent(victim, id -> new Victim(id, inputStreams.getOrDefault(id, 0)))
          .killAtEvents
          .add(atEvent);
    }
  }

  /** The graph the job must run: {@code graph}, with the operators of source victims wrapped. */
  JobGraph wrap(JobGraph graph) {
    if (victims.isEmpty()) {
      return graph;
    }
    JobGraph wrapped = new JobGraph();
    for (StageSpec stage : graph.stages()) {
      IntFunction<Operator> operators = stage.operatorFactory();
      wrapped.add(
          stage.withOperatorFactory(
              partition -> {
                Operator operator = operators.apply(partition);
                Victim victim = victims.get(vertexId(stage, partition));
                return victim != null && stage.inputs().isEmpty()
                    ? new KillPointSource((SourceOperator) operator, victim)
                    : operator;
              }));
    }
    return wrapped;
  }

  /**
   * The store the job must use: {@code store}, with the victims' streams wrapped (none if no kill
   * is planned).
   */
  RStreamStore wrap(RStreamStore store) {
    if (victims.isEmpty()) {
      return store;
    }
    return new RStreamStore() {
      @Override
      public RStream open(String streamId, String producer) {
        RStream stream = store.open(streamId, producer);
        Victim reader = victims.get(readerOfStream.get(streamId));
        Victim writer = victims.get(writerOfStream.get(streamId));
        return reader == null && writer == null ? stream : new KillPointStream(streamId, stream, reader, writer);
      }

      @Override
      public void close() {
        store.close();
      }

      @Override
      public CompletionStage<Void> closeAsync() {
        return store.closeAsync();
      }
    };
  }

  /** The job whose vertices are killed; call it as soon as {@link Job#start} returned. */
  void attach(Job started) {
    for (String victim : victims.keySet()) {
      if (!started.vertexIds().contains(victim)) {
        throw new IllegalStateException(
            "Failure injection planned kills of " + victim + ", which the job does not have: "
                + started.vertexIds());
      }
    }
    job.complete(started);
  }

  /** Kills planned for the job (each happens, unless the job ends otherwise first). */
  int planned() {
    return planned;
  }

  /** The kills so far, in order. */
  List<InjectedKill> kills() {
    return List.copyOf(kills);
  }

  long seed() {
    return seed;
  }

  /** Kills {@code victim} from its own thread, unless it failed or was cancelled already. */
  private void kill(Victim victim, String moment) {
    InjectedKill kill = new InjectedKill(victim.vertexId, victim.events, moment);
    // Settled before Job.kill launches the replacement, which goes on counting on its own thread.
    long killAtEvent = victim.killAtEvents.poll();
    victim.events = 0;
    try {
      // A victim may reach its moment before Job.start returned: wait for it (microseconds).
      job.join().kill(victim.vertexId);
    } catch (IllegalStateException notRunning) {
      // Its operator closes after a failure or a cancel: nothing to kill, and no replacement.
      victim.killAtEvents.push(killAtEvent);
      victim.events = kill.event();
      return;
    }
    kills.add(kill);
    LOG.warn("Injected failure {} of {} (seed {}): killed {}", kills.size(), planned, seed, kill);
    throw new InjectedCrash(kill);
  }

  /**
   * Mixed into the seed, so that one seed kills different vertices in different pipelines (a test
   * suite runs with one seed). Digits are left out: Beam numbers some steps per JVM (PAssert$3),
   * and a test must draw the same kills alone as in its suite.
   */
  private static long shapeHash(JobGraph graph) {
    long hash = 17;
    for (StageSpec stage : graph.stages()) {
      hash = 31 * hash + stage.id().replaceAll("[0-9]", "").hashCode();
      hash = 31 * hash + stage.parallelism();
    }
    return hash * 0x9E3779B97F4A7C15L;
  }

  private static String vertexId(StageSpec stage, int partition) {
    return stage.id() + "#" + partition;
  }

  private static String describe(StreamEvent event) {
    return "seq " + event.seq() + ", " + event.kind().name().toLowerCase(Locale.ROOT);
  }

  /** An rStream of a victim: counts the victim's events on it, and kills it at its moment. */
  private static final class KillPointStream extends ForwardingRStream {
    private final String streamId;
    private final Victim reader;
    private final Victim writer;

    KillPointStream(String streamId, RStream stream, Victim reader, Victim writer) {
      super(stream);
      this.streamId = streamId;
      this.reader = reader;
      this.writer = writer;
    }

    @Override
    public void write(StreamEvent event) {
      if (writer != null) {
        writer.beforeWrite(streamId, event);
      }
      stream.write(event);
    }

    @Override
    public StreamEvent read(long seq) {
      StreamEvent event = stream.read(seq);
      if (event != null && reader != null) {
        reader.beforeRead(streamId, event);
      }
      return event;
    }
  }

  /** The operator of a source victim: counts its turns, and kills it at its moment or its close. */
  private static final class KillPointSource implements SourceOperator {
    private final SourceOperator source;
    private final Victim victim;

    KillPointSource(SourceOperator source, Victim victim) {
      this.source = source;
      this.victim = victim;
    }

    @Override
    public Status emit(int maxElements) throws Exception {
      victim.beforeSourceTurn();
      return source.emit(maxElements);
    }

    @Override
    public void close() throws Exception {
      victim.beforeSourceClose();
      source.close();
    }

    @Override
    public void open(OperatorContext context) throws Exception {
      source.open(context);
    }

    @Override
    public void beginTurn() {
      source.beginTurn();
    }

    @Override
    public void endTurn() {
      source.endTurn();
    }

    @Override
    public void startBundle() throws Exception {
      source.startBundle();
    }

    @Override
    public void processElement(int input, byte[] payload) throws Exception {
      source.processElement(input, payload);
    }

    @Override
    public void advanceWatermark(int input, long watermarkMillis) throws Exception {
      source.advanceWatermark(input, watermarkMillis);
    }

    @Override
    public void advanceProcessingTime(long nowMillis) throws Exception {
      source.advanceProcessingTime(nowMillis);
    }

    @Override
    public long nextProcessingTimeMillis() {
      return source.nextProcessingTimeMillis();
    }

    @Override
    public void finishBundle() throws Exception {
      source.finishBundle();
    }

    @Override
    public long outputWatermark(int output) {
      return source.outputWatermark(output);
    }

    @Override
    public boolean snapshotsSupported() {
      return source.snapshotsSupported();
    }

    @Override
    public void snapshotState(long snapshotVersion, DataOutputStream out) throws Exception {
      source.snapshotState(snapshotVersion, out);
    }

    @Override
    public void stableUpTo(long snapshotVersion) throws Exception {
      source.stableUpTo(snapshotVersion);
    }

    @Override
    public boolean finalizationPending() {
      return source.finalizationPending();
    }

    @Override
    public boolean workLeft() {
      return source.workLeft();
    }

    @Override
    public void continueWork() throws Exception {
      source.continueWork();
    }

    @Override
    public void restoreState(DataInputStream in) throws Exception {
      source.restoreState(in);
    }
  }
}
