package dev.streamscope.vertex;

import dev.streamscope.rstream.StreamEvent;
import dev.streamscope.vertex.seams.VertexExecutor;
import dev.streamscope.vertex.snapshot.SnapshotStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running partition of a stage (an rVertex): reads its input rStreams through an {@link
 * InputMerger}, drives its {@link Operator}, and writes the operator's output and punctuation to
 * its output rStreams through an {@link OutputRouter}.
 *
 * <p>Everything runs on the vertex's {@link VertexExecutor}, a turn at a time: a turn consumes at
 * most {@code turnEventsMax} input events, publishes its outputs, and yields. A vertex with
 * nothing to read sleeps until an input stream publishes (or, a congested source, until a reader
 * releases); as such a wake-up may be lost on the way, a vertex that stays idle looks again every
 * {@code idleRepollMs}. Bundles and output punctuation follow
 * input epochs, not turns, so what a vertex writes is a function of what it read: the same
 * whatever the scheduling (the simulator checks this).
 *
 * <p>Watermarks: input watermark of a logical input = min over its channels' last punctuation;
 * output watermark = what the operator reports (input watermark held back by its state), written
 * as punctuation after the outputs it covers, at the end of each turn.
 *
 * <p>Snapshots (when the vertex has a {@link SnapshotStore}): at the end of an epoch, at most every
 * {@code checkpointIntervalMs} (further apart if taking one costs the vertex's thread more than
 * 1/20 of that in CPU time), the vertex saves a {@link VertexSnapshot} (input positions, output
 * seqs, watermarks, operator state), encoded and written off its thread. Once the snapshot is
 * written and every output stream is durable up to its output seqs, it is <i>stable</i>: the
 * inputs are garbage-collected below the positions of the oldest of the last {@link
 * SnapshotStore#versionsKept} stable snapshots (so a restore can fall back on any of them if newer
 * ones are damaged), and the next snapshot may start (so the newest stable snapshot is never among
 * the versions a store drops). A starting instance restores
 * the newest snapshot its output streams can continue from (in this process: the newest; after
 * the process died: the newest whose outputs were durable), or starts from scratch.
 *
 * <p>Strong productions (a stage marked nondeterministic: a replay of it could write other
 * values, MillWheel's term): the {@link OutputRouter} holds what the vertex writes. At the end of
 * every epoch that wrote something the vertex takes a snapshot holding its state and those
 * outputs together, consumes nothing more until the snapshot is written (its thread is free
 * meanwhile: the write's completion resumes it), and only then writes and publishes the outputs.
 * A failed commit write is retried a few times (with a doubling delay) before the vertex fails,
 * as is a failed read of the snapshots at a start: a transient file-system error costs time, not
 * a restart. A restored instance first writes its snapshot's held outputs again. So whatever a reader can
 * see is in a snapshot, and no replay regenerates it. The checkpoint interval does not apply to
 * epochs with output (an epoch without output is snapshotted once the interval passed), and such
 * a vertex snapshots whatever its stage's recovery strategy: under recompute too, as a replay
 * from scratch could contradict what its readers saw. Its snapshots count as stable once
 * written ({@link HeldStream} keeps every snapshot usable). An operator waiting for a commit to
 * act ({@link Operator#finalizationPending}) has its bundle ended between two elements and
 * committed, once the interval passed since the last commit, rather than at the end of a long
 * epoch.
 */
final class VertexInstance implements OperatorContext {
  private static final Logger LOG = LoggerFactory.getLogger(VertexInstance.class);
  /** Snapshots take at most 1/20 of a vertex's time. */
  private static final long SNAPSHOT_COST_SHARE_INVERSE = 20;
  /**
   * Snapshot reads at a start, and commit writes, that fail in a row are retried this many times
   * (a transient file-system error should not cost a restart) before the vertex fails.
   */
  private static final int SNAPSHOT_IO_RETRIES_MAX = 5;
  /** The first retry's delay; each next one doubles it. */
  private static final long SNAPSHOT_IO_RETRY_DELAY_MS_MIN = 10;

  private final String vertexId;
  private final String stageId;
  private final int partition;
  private final int parallelism;
  private final Operator operator;
  private final InputMerger inputs;
  private final OutputRouter outputs;
  private final VertexConfig config;
  private final BiConsumer<VertexInstance, Throwable> onDone;
  private final AtomicBoolean turnScheduled = new AtomicBoolean();
  private final long[] inputWatermarkMillis;
  private final SnapshotStore snapshots;
  private final long checkpointIntervalMs;

  // Snapshots, all on the vertex's thread.
  private long nextSnapshotVersion = 1;
  /** When the next snapshot may be taken: an interval, or more if snapshots are costly. */
  private long nextSnapshotAtMillis;
  private VertexSnapshot unstableSnapshot;
  private CompletableFuture<Void> snapshotWrite = CompletableFuture.completedFuture(null);
  /** Completes when the newest write is on storage or failed (before its completion runs). */
  private volatile CompletableFuture<Void> snapshotLanded = CompletableFuture.completedFuture(null);
  private boolean finishReported; // guarded by this
  private boolean everythingFinalized; // guarded by this: stableUpTo(EVERYTHING) went out
  private long snapshotTimerId = -1;
  private long progressAtLastSnapshot = -1;
  private volatile long restoredVersion;
  /** Input positions of the last stable snapshots, oldest first (see collectInputsBelow). */
  private final ArrayDeque<List<VertexSnapshot.ChannelPosition>> keptInputPositions =
      new ArrayDeque<>();
  /**
   * The newest snapshot version whose write completed, set by the writing thread as soon as it
   * completes: a busy vertex sees it mid-turn, before the write's completion reaches its thread
   * (which waits for the end of the turn), so a long turn does not hold back the next snapshot.
   */
  private volatile long landedVersion;
  /** The newest snapshot version written, once its completion reached the vertex's thread. */
  private volatile long writtenVersion;
  private volatile boolean begun;
  private long readMillis;

  // Strong productions: the vertex waits for the snapshot holding its outputs ("commit").
  private final boolean strongProductions;
  private boolean committing;
  private int commitRetries;

  private volatile boolean killed;
  private volatile VertexExecutor executor;
  /** Cancelled, maybe before it started: then it never opens its operator (see start). */
  private volatile boolean cancelRequested;
  private VertexState state = VertexState.CREATED;
  private long processingTimerAtMillis = Long.MAX_VALUE;
  private long processingTimerId = -1;
  private long repollTimerId = -1;
  private boolean inBundle;
  private int turnsOpen;

  VertexInstance(
      String stageId,
      int partition,
      int parallelism,
      Operator operator,
      InputMerger inputs,
      OutputRouter outputs,
      VertexConfig config,
      SnapshotStore snapshots,
      long checkpointIntervalMs,
      BiConsumer<VertexInstance, Throwable> onDone) {
    this.vertexId = stageId + "#" + partition;
    this.stageId = stageId;
    this.partition = partition;
    this.parallelism = parallelism;
    this.operator = operator;
    this.inputs = inputs;
    this.outputs = outputs;
    this.config = config;
    this.onDone = onDone;
    this.snapshots = operator.snapshotsSupported() ? snapshots : null;
    this.strongProductions = outputs.holdsOutputs();
    if (strongProductions && this.snapshots == null) {
      throw new IllegalArgumentException(
          vertexId + ": a vertex that holds its outputs needs snapshots to release them");
    }
    this.checkpointIntervalMs = checkpointIntervalMs;
    this.inputWatermarkMillis = new long[inputs.inputCount()];
    java.util.Arrays.fill(inputWatermarkMillis, Long.MIN_VALUE);
  }

  String vertexId() {
    return vertexId;
  }

  /** Finished, and the job was told so. */
  synchronized boolean isFinished() {
    return state == VertexState.FINISHED && finishReported;
  }

  /**
   * Starts the vertex on {@code executor}, called on the executor's thread: from its newest usable
   * snapshot if it has a snapshot store, else from the start.
   */
  synchronized void start(VertexExecutor executor) {
    this.executor = executor;
    if (cancelRequested && !state.isTerminal()) {
      moveTo(VertexState.CANCELLED); // Cancelled before it started: no close would come.
    }
    if (killed || state.isTerminal()) {
      return;
    }
    if (snapshots == null) {
      begin(null);
      return;
    }
    readSnapshotsAndBegin(0);
  }

  /**
   * Lists the vertex's snapshots, then reads them newest first until one is usable (see {@link
   * #usable}): an older one is read only if the newer ones are damaged or unusable.
   */
  private void readSnapshotsAndBegin(int retries) {
    long startedAtMillis = executor.nowMillis();
    executor
        .executeBlocking(() -> snapshots.versions(vertexId))
        .whenComplete(
            (versions, error) -> {
              if (error != null) {
                retryOrFail(retries, error);
                return;
              }
              if (!versions.isEmpty()) {
                // One version skipped: a killed predecessor may still land the one it was writing,
                // which must neither overwrite nor outrank this instance's own. The newest listed
                // counts even if it turns out damaged: its version is taken.
                nextSnapshotVersion = versions.get(0) + 2;
              }
              readNewestUsableAndBegin(versions, 0, retries, startedAtMillis);
            });
  }

  /** Reads {@code versions} from index {@code next} on, and begins from the first usable one. */
  private void readNewestUsableAndBegin(
      List<Long> versions, int next, int retries, long startedAtMillis) {
    if (next == versions.size()) {
      readMillis = executor.nowMillis() - startedAtMillis;
      begin(null);
      return;
    }
    long version = versions.get(next);
    executor
        .executeBlocking(() -> snapshots.read(vertexId, version))
        .whenComplete(
            (stored, error) -> {
              if (error != null) {
                retryOrFail(retries, error);
                return;
              }
              if (killed) {
                return; // Its replacement reads them.
              }
              VertexSnapshot snapshot = stored.map(this::usable).orElse(null);
              if (snapshot == null) {
                readNewestUsableAndBegin(versions, next + 1, retries, startedAtMillis);
                return;
              }
              readMillis = executor.nowMillis() - startedAtMillis;
              begin(snapshot);
            });
  }

  /** After a failed read of the snapshots: reads them all again after a delay, or fails. */
  private synchronized void retryOrFail(int retries, Throwable error) {
    if (killed) {
      return;
    }
    if (retries < SNAPSHOT_IO_RETRIES_MAX) {
      LOG.warn("Vertex {}: reading its snapshots failed, retrying: {}", vertexId, error.toString());
      executor.setTimer(retryDelayMs(retries), () -> readSnapshotsAndBegin(retries + 1));
      return;
    }
    fail(error);
  }

  private static long retryDelayMs(int retries) {
    return SNAPSHOT_IO_RETRY_DELAY_MS_MIN << retries;
  }

  /**
   * A snapshot became stable (or, strong productions, its commit was written): garbage-collects
   * the inputs below the oldest of the last {@link SnapshotStore#versionsKept} such snapshots, not
   * below this one, so that a restore whose newest snapshots are damaged can fall back on an older
   * one and still read its inputs from there.
   */
  private void collectInputsBelow(List<VertexSnapshot.ChannelPosition> positions) {
    keptInputPositions.addLast(positions);
    while (keptInputPositions.size() > snapshots.versionsKept()) {
      keptInputPositions.removeFirst();
    }
    inputs.gcBelow(keptInputPositions.peekFirst());
  }

  /**
   * {@code stored} decoded, if the output streams can continue from it; else null (logged), and
   * an older one is tried.
   */
  private VertexSnapshot usable(SnapshotStore.Snapshot stored) {
    VertexSnapshot snapshot;
    try {
      snapshot = VertexSnapshot.decode(stored.version(), stored.payload());
    } catch (java.io.IOException e) {
      LOG.warn("Skipping snapshot {} of vertex {}: {}", stored.version(), vertexId, e.getMessage());
      return null;
    }
    if (outputs.canContinueFrom(snapshot.writesFrom())) {
      return snapshot;
    }
    LOG.info(
        "Vertex {}: snapshot {} is ahead of its durable outputs; trying an older one",
        vertexId, stored.version());
    return null;
  }

  private synchronized void begin(VertexSnapshot snapshot) {
    if (killed || state.isTerminal()) {
      return; // Cancelled while its snapshots were read: its operator stays unopened.
    }
    try {
      moveTo(VertexState.RUNNING);
      operator.open(this);
      nextSnapshotAtMillis = executor.nowMillis() + checkpointIntervalMs;
      if (snapshot != null) {
        restore(snapshot);
        if (snapshot.finished()) {
          // It had finished; its last outputs, held in the snapshot, are now written again.
          operator.close();
          finished();
          return;
        }
      }
      begun = true;
      inputs.onPublished(this::wakeUp);
      outputs.onReleased(this::wakeUp);
      // A rewrite checked against persisted segments may differ after its publish returned.
      outputs.onDeterminismViolation(violation -> executor.execute(() -> failWith(violation)));
      runTurn();
    } catch (Throwable t) {
      fail(t);
    }
  }

  private void restore(VertexSnapshot snapshot) throws Exception {
    long restoreStartMillis = executor.nowMillis();
    inputs.restore(snapshot.channels(), snapshot.mergeTurn());
    keptInputPositions.addLast(snapshot.channels());
    System.arraycopy(
        snapshot.inputWatermarkMillis(), 0, inputWatermarkMillis, 0, inputWatermarkMillis.length);
    outputs.restore(snapshot);
    beginTurn();
    try {
      operator.restoreState(
          new DataInputStream(new ByteArrayInputStream(snapshot.operatorState())));
    } finally {
      endTurn();
    }
    restoredVersion = snapshot.version();
    LOG.info(
        "Vertex {} restored from snapshot {} ({} bytes of operator state; read {} ms, restore {} ms)",
        vertexId, snapshot.version(), snapshot.operatorState().length, readMillis,
        executor.nowMillis() - restoreStartMillis);
  }

  /** The version of the newest snapshot this instance wrote, or 0. */
  long writtenVersion() {
    return writtenVersion;
  }

  long consumedEvents() {
    return inputs.progress();
  }

  long inputBacklogEvents() {
    return inputs.backlog();
  }

  /** Whether the instance restored its snapshot (if any) and runs. */
  boolean begun() {
    return begun;
  }

  /** The version of the snapshot this instance started from, or 0 if it started from scratch. */
  long restoredVersion() {
    return restoredVersion;
  }

  /** Stops the vertex where it is (job cancelled or failed elsewhere). */
  void cancel() {
    // No lock here: the job calls this holding its own, which a failing vertex takes holding this
    // instance's. The flag first: a start that misses it has set its executor, which we then see.
    cancelRequested = true;
    if (executor == null) {
      return; // Not started: it never will (see start).
    }
    executor.execute(
        () -> {
          if (!state.isTerminal()) {
            moveTo(VertexState.CANCELLED);
            closeQuietly();
          }
        });
  }

  /**
   * After {@link #cancel}: completes once the snapshot write the instance had in flight landed
   * (none starts after a cancel), so that nothing of a cancelled job changes its snapshots after
   * it stopped. It does not wait for a turn in progress, which may never end (a stuck DoFn). A
   * finished instance waited for its writes: then it is complete.
   */
  CompletableFuture<Void> cancelSettled() {
    if (!cancelRequested) {
      throw new IllegalStateException(vertexId + ": settling a cancel that was not requested");
    }
    return snapshotLanded;
  }

  private void wakeUp() {
    if (turnScheduled.compareAndSet(false, true)) {
      executor.execute(this::runTurn);
    }
  }

  /**
   * Stops this instance for good, from any thread: a turn in progress finishes first (turns hold
   * the instance's monitor), none starts after. Its outputs are then free for a replacement.
   * Returns false if it had already finished (and told the job), failed or been cancelled.
   */
  boolean kill() {
    killed = true;
    synchronized (this) {
      // Finished but not reported (a snapshot write was still landing) counts as not finished:
      // the write may never land now, so the job must restart it, or it would wait for ever.
      if (state.isTerminal() && !(state == VertexState.FINISHED && !finishReported)) {
        return false;
      }
      state = VertexState.FAILED;
      return true;
    }
  }

  private synchronized void runTurn() {
    turnScheduled.set(false);
    if (state != VertexState.RUNNING || killed || committing) {
      return; // Committing: the commit's completion wakes the vertex up.
    }
    beginTurn();
    try {
      // A stage without inputs is a source; its operator must be a SourceOperator.
      boolean more =
          inputs.channelCount() == 0 ? sourceTurn((SourceOperator) operator) : consumerTurn();
      if (state == VertexState.RUNNING && !committing) {
        scheduleProcessingTimer();
        if (more) {
          wakeUp();
        } else {
          scheduleRepoll();
        }
      }
    } catch (Throwable t) {
      fail(t);
    } finally {
      endTurn();
    }
  }

  /**
   * The vertex went idle waiting for a wake-up (an input published, an output released), which
   * a network may lose: it looks again after {@code idleRepollMs} unless something woke it. One
   * timer at a time, so at most one per interval, whatever the event rate.
   */
  private void scheduleRepoll() {
    if (repollTimerId < 0 && !TestHooks.skipIdleRepoll) {
      repollTimerId = executor.setTimer(config.idleRepollMs(), this::onRepollTimer);
    }
  }

  private synchronized void onRepollTimer() {
    repollTimerId = -1;
    wakeUp();
  }

  /**
   * Consumes up to {@code turnEventsMax} input events. A bundle is one input epoch: it starts with
   * the epoch's first event and finishes with its punctuation, when the outputs get theirs; an
   * epoch may span turns. Returns true if more input is ready now.
   */
  private boolean consumerTurn() throws Exception {
    int consumed = 0;
    while (consumed < config.turnEventsMax()) {
      if (inBundle && strongProductions && finalizationDue()) {
        endBundle();
        commit(takeSnapshot());
        inputs.releaseConsumed();
        return false;
      }
      if (strongProductions && operator.workLeft()) {
        if (!inBundle) {
          operator.startBundle();
          inBundle = true;
        }
        consumed++;
        operator.continueWork();
        if (inputs.allEnded() && !operator.workLeft()) {
          endBundle(); // The last epoch's bundle, ended once its work is done.
          inputs.releaseConsumed();
          finish();
          return false;
        }
        continue;
      }
      StreamEvent event = inputs.next();
      if (event == null) {
        break;
      }
      if (!inBundle) {
        operator.startBundle();
        inBundle = true;
      }
      consumed++;
      int input = inputs.lastChannel().input;
      if (event.isData()) {
        operator.processElement(input, event.payload());
        continue;
      }
      long watermark = inputs.inputWatermark(input);
      if (watermark > inputWatermarkMillis[input]) {
        inputWatermarkMillis[input] = watermark;
        // Readers get the epoch's elements before its timers run (they may take long, as a
        // flush to an outside system does): downstream, processing time may fire on them first.
        outputs.publish();
        operator.advanceWatermark(input, watermark);
      }
      endBundle();
      // Work left (see Operator.workLeft) goes on first, at the top of the loop.
      if (inputs.allEnded() && !(strongProductions && operator.workLeft())) {
        inputs.releaseConsumed();
        finish();
        return false;
      }
      if (strongProductions && commitIfDue()) {
        inputs.releaseConsumed();
        return false;
      }
      // A busy vertex rarely ends a turn between epochs: snapshot here, at the epoch's end.
      if (!strongProductions && snapshots != null && executor.nowMillis() >= nextSnapshotAtMillis) {
        outputs.publish();
        maybeSnapshot();
      }
    }
    outputs.publish();
    inputs.releaseConsumed();
    if (!inBundle && !strongProductions) {
      maybeSnapshot();
    }
    return consumed == config.turnEventsMax();
  }

  /**
   * Strong productions, inside a bundle: the operator waits for a commit to act on what it did
   * (bundle finalization callbacks, which an outside system may wait for before it sends more) and
   * the checkpoint interval passed since the last commit. Without this, an input epoch without
   * output commits only at its end, however long it runs. The interval bounds the cost: a DoFn
   * registering a callback per bundle gets a snapshot per interval, as periodic snapshots do, not
   * one per element. The operator is asked first: a field read per element, the clock only then.
   */
  private boolean finalizationDue() {
    return operator.finalizationPending() && executor.nowMillis() >= nextSnapshotAtMillis;
  }

  /**
   * Ends the open bundle and punctuates: at its epoch's end, or before it to commit now (bundles
   * need not follow epochs where outputs wait for a snapshot: a reader sees the held outputs only
   * once it is written).
   */
  private void endBundle() throws Exception {
    operator.finishBundle();
    inBundle = false;
    punctuate();
  }

  /** Returns true if the source has more ready now. */
  private boolean sourceTurn(SourceOperator source) throws Exception {
    if (outputs.congested(config.streamBufferBytesMax())) {
      return false; // A reader releasing bytes wakes us up.
    }
    source.startBundle();
    SourceOperator.Status status = source.emit(config.sourceBundleElementsMax());
    source.finishBundle();
    punctuate();
    if (status == SourceOperator.Status.DONE) {
      finish();
      return false;
    }
    outputs.publish();
    if (betweenEpochs()) {
      return false;
    }
    if (status == SourceOperator.Status.IDLE) {
      executor.setTimer(config.idlePollMs(), this::wakeUp);
      return false;
    }
    return true;
  }

  /**
   * At an epoch boundary: snapshots if it is time to. Returns true if the vertex now waits for a
   * commit (strong productions), whose completion resumes it.
   */
  private boolean betweenEpochs() throws Exception {
    if (strongProductions) {
      return commitIfDue();
    }
    maybeSnapshot();
    return false;
  }

  private void punctuate() {
    for (int o = 0; o < outputs.outputCount(); o++) {
      outputs.punctuate(o, operator.outputWatermark(o));
    }
  }

  private void scheduleProcessingTimer() {
    long at = operator.nextProcessingTimeMillis();
    if (at >= processingTimerAtMillis) {
      return;
    }
    if (processingTimerId >= 0) {
      executor.cancelTimer(processingTimerId);
    }
    processingTimerAtMillis = at;
    processingTimerId =
        executor.setTimer(Math.max(1, at - executor.nowMillis()), this::onProcessingTimer);
  }

  private synchronized void onProcessingTimer() {
    processingTimerAtMillis = Long.MAX_VALUE;
    processingTimerId = -1;
    if (state != VertexState.RUNNING || killed || committing) {
      return; // Committing: the commit's completion sets the timer again.
    }
    beginTurn();
    try {
      // Inside an open bundle the timers fire as part of it; else in a bundle of their own.
      if (inBundle) {
        operator.advanceProcessingTime(executor.nowMillis());
        if (strongProductions && outputs.holdsAny()) {
          // The timers wrote in the middle of an input epoch (a processing-time trigger's early
          // pane): end the bundle here, so that a commit exposes the output now rather than at
          // the epoch's end.
          endBundle();
        }
      } else {
        operator.startBundle();
        operator.advanceProcessingTime(executor.nowMillis());
        operator.finishBundle();
        punctuate();
      }
      outputs.publish();
      if (!inBundle && betweenEpochs()) {
        return;
      }
      scheduleProcessingTimer();
      if (strongProductions && operator.workLeft()) {
        wakeUp(); // The timers stopped early (see Operator.workLeft): a turn goes on with them.
      }
    } catch (Throwable t) {
      fail(t);
    } finally {
      endTurn();
    }
  }

  private void finish() throws Exception {
    long finalVersion = strongProductions ? nextSnapshotVersion++ : 0;
    byte[] finalState = strongProductions ? operatorState(finalVersion) : null;
    operator.close();
    for (int o = 0; o < outputs.outputCount(); o++) {
      outputs.punctuate(o, Long.MAX_VALUE);
    }
    outputs.end();
    if (strongProductions) {
      // The last outputs and the streams' ends too: seen only once a snapshot holds them.
      commit(snapshotOf(finalVersion, true, finalState));
      return;
    }
    outputs.publish();
    finished();
  }

  private void finished() {
    if (processingTimerId >= 0) {
      executor.cancelTimer(processingTimerId);
    }
    if (snapshotTimerId >= 0) {
      executor.cancelTimer(snapshotTimerId);
    }
    if (repollTimerId >= 0) {
      executor.cancelTimer(repollTimerId);
    }
    moveTo(VertexState.FINISHED);
    // A snapshot still being written must land before the job may end (and delete its files).
    snapshotWrite.whenComplete((ignored, error) -> reportFinished());
  }

  /**
   * Between epochs: settles the unstable snapshot if it became stable, else takes a new one if the
   * interval passed and the vertex moved since the last. One unstable snapshot at a time. What
   * cannot happen now is retried by a timer, so an idle vertex still snapshots its last progress.
   */
  private void maybeSnapshot() throws Exception {
    if (snapshots == null) {
      return;
    }
    if (unstableSnapshot != null) {
      if (landedVersion < unstableSnapshot.version()
          || !outputs.durableUpTo(unstableSnapshot.outputStreams())) {
        retrySnapshotIn(checkpointIntervalMs);
        return;
      }
      collectInputsBelow(unstableSnapshot.channels());
      long stableVersion = unstableSnapshot.version();
      LOG.debug("Vertex {}: snapshot {} stable", vertexId, stableVersion);
      unstableSnapshot = null;
      operator.stableUpTo(stableVersion);
    }
    long progress = inputs.progress() + outputs.progress();
    if (progress == progressAtLastSnapshot) {
      return;
    }
    long now = executor.nowMillis();
    if (now < nextSnapshotAtMillis) {
      retrySnapshotIn(nextSnapshotAtMillis - now);
      return;
    }
    progressAtLastSnapshot = progress;
    long cpuBeforeNanos = executor.threadCpuNanos();
    VertexSnapshot snapshot = takeSnapshot();
    unstableSnapshot = snapshot;
    write(snapshot, this::onSnapshotWritten);
    // A snapshot costs the vertex's thread work in proportion to its state: space them so that
    // they take at most 1/SNAPSHOT_COST_SHARE_INVERSE of its time (a batch stage's state grows
    // with its input until the end, and a snapshot per interval would make the job quadratic).
    // The cost is the thread's CPU time, not wall time: on a loaded machine a small snapshot can
    // wait for a CPU many times as long as it works, and spacing by that wait would leave a
    // small-state (streaming) vertex without a recent snapshot, for a long replay after a kill.
    long costNanos = Math.max(0, executor.threadCpuNanos() - cpuBeforeNanos);
    nextSnapshotAtMillis =
        now + Math.max(checkpointIntervalMs, costNanos * SNAPSHOT_COST_SHARE_INVERSE / 1_000_000);
    if (LOG.isDebugEnabled()) {
      LOG.debug("Vertex {}: snapshot {} of {} bytes cost {} us of CPU, {} ms of wall time; next at"
              + " +{} ms", vertexId, snapshot.version(), snapshot.operatorState().length,
          costNanos / 1000, executor.nowMillis() - now, nextSnapshotAtMillis - now);
    }
  }

  /** Writes {@code snapshot} off the vertex thread, then calls {@code onWritten} on it. */
  private void write(VertexSnapshot snapshot, BiConsumer<VertexSnapshot, Throwable> onWritten) {
    if (killed) {
      return; // Killed in the middle of this turn: a crashed vertex writes nothing more either.
    }
    CompletableFuture<Void> previous = snapshotLanded;
    CompletableFuture<Void> landed = new CompletableFuture<>();
    // Published before the cancel flag is read, which cancel() sets before cancelSettled() reads
    // this: a write either sees the flag or is seen (both volatile).
    snapshotLanded = landed;
    if (cancelRequested) {
      previous.whenComplete((ignored, error) -> landed.complete(null));
      return; // Cancelled: the job stops once the write in flight landed, and takes no more.
    }
    CompletableFuture<Void> written = new CompletableFuture<>();
    snapshotWrite = written;
    executor
        .executeBlocking(
            () -> {
              try {
                // Encoded here, off the vertex's thread: a snapshot does not change once taken.
                snapshots.write(vertexId, snapshot.version(), snapshot.encode());
                landedVersion = snapshot.version(); // Versions only grow: one write at a time.
                return null;
              } finally {
                landed.complete(null); // Here, not on the vertex's thread, which may be stuck.
              }
            })
        .whenComplete(
            (ignored, error) -> {
              onWritten.accept(snapshot, error);
              written.complete(null);
            });
  }

  /**
   * Strong productions, at an epoch boundary: commits if the epoch wrote something, or if the
   * interval passed and the vertex moved since the last snapshot or waits for one to act ({@link
   * Operator#finalizationPending}: timers that registered callbacks while the input is idle move
   * nothing else). Returns true if it committed.
   */
  private boolean commitIfDue() throws Exception {
    if (!outputs.holdsAny()) {
      long progress = inputs.progress() + outputs.progress();
      boolean moved = progress != progressAtLastSnapshot || operator.finalizationPending();
      if (!moved || executor.nowMillis() < nextSnapshotAtMillis) {
        return false;
      }
    }
    commit(takeSnapshot());
    return true;
  }

  /**
   * Writes a snapshot that holds the held outputs; the vertex consumes nothing until {@link
   * #onCommitted} releases them.
   */
  private void commit(VertexSnapshot snapshot) {
    committing = true;
    nextSnapshotAtMillis = executor.nowMillis() + checkpointIntervalMs;
    progressAtLastSnapshot = inputs.progress() + outputs.progress();
    write(snapshot, this::onCommitted);
  }

  private synchronized void onCommitted(VertexSnapshot snapshot, Throwable error) {
    if (state != VertexState.RUNNING || killed) {
      return; // Killed: its replacement writes these outputs from the snapshot, if it landed.
    }
    if (error != null && commitRetries < SNAPSHOT_IO_RETRIES_MAX) {
      LOG.warn("Vertex {}: writing snapshot {} failed, retrying: {}", vertexId, snapshot.version(), error.toString());
      executor.setTimer(retryDelayMs(commitRetries++), () -> rewrite(snapshot));
      return; // Still committing: nothing is consumed or exposed meanwhile.
    }
    commitRetries = 0;
    committing = false;
    beginTurn();
    try {
      if (error != null) {
        throw new java.io.IOException(
            "Vertex " + vertexId + " cannot expose its outputs: writing snapshot "
                + snapshot.version() + ", which holds them, failed: " + error,
            error);
      }
      writtenVersion = snapshot.version();
      outputs.releaseHeld();
      collectInputsBelow(snapshot.channels());
      if (snapshot.finished()) {
        finished(); // Its close left more to finalize: once reported, see finalizeEverything.
        return;
      }
      operator.stableUpTo(snapshot.version()); // Its outputs are in it: stable once written.
      scheduleProcessingTimer();
      wakeUp();
    } catch (Throwable t) {
      fail(t);
    } finally {
      endTurn();
    }
  }

  /** Writes a commit's snapshot again, unless the vertex stopped meanwhile. */
  private synchronized void rewrite(VertexSnapshot snapshot) {
    if (state == VertexState.RUNNING && !killed) {
      write(snapshot, this::onCommitted);
    }
  }

  private void retrySnapshotIn(long delayMs) {
    if (snapshotTimerId < 0) {
      snapshotTimerId = executor.setTimer(Math.max(1, delayMs), this::onSnapshotTimer);
    }
  }

  private synchronized void onSnapshotTimer() {
    snapshotTimerId = -1;
    if (state != VertexState.RUNNING || killed || inBundle) {
      return; // A bundle in progress ends with a turn that tries again.
    }
    beginTurn();
    try {
      maybeSnapshot();
    } catch (Throwable t) {
      fail(t);
    } finally {
      endTurn();
    }
  }

  private byte[] operatorState(long version) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    operator.snapshotState(version, out);
    out.flush();
    return bytes.toByteArray();
  }

  private VertexSnapshot takeSnapshot() throws Exception {
    long version = nextSnapshotVersion++;
    return snapshotOf(version, false, operatorState(version));
  }

  private VertexSnapshot snapshotOf(long version, boolean finished, byte[] operatorState) {
    return new VertexSnapshot(
        version,
        finished,
        inputs.turn(),
        inputs.positions(),
        inputWatermarkMillis.clone(),
        outputs.emittedWatermarkMillis(),
        outputs.dataSincePunctuation(),
        outputs.positions(),
        outputs.rebalanceCursors(),
        operatorState,
        outputs.heldTails());
  }

  private synchronized void onSnapshotWritten(VertexSnapshot snapshot, Throwable error) {
    if (error == null) {
      // Settled already, maybe, if the vertex saw it land mid-turn (landedVersion).
      writtenVersion = Math.max(writtenVersion, snapshot.version());
    }
    if (snapshot != unstableSnapshot) {
      return;
    }
    if (error != null) {
      // Not fatal: the previous stable snapshot still stands; try again after an interval.
      LOG.warn("Vertex {}: writing snapshot {} failed: {}", vertexId, snapshot.version(), error.toString());
      unstableSnapshot = null;
      return;
    }
    LOG.debug("Vertex {}: snapshot {} written", vertexId, snapshot.version());
    onSnapshotTimer(); // Settle it now if its outputs are already durable.
  }

  private synchronized void failWith(Throwable cause) {
    if (!killed) {
      fail(cause);
    }
  }

  /** Tells the job this instance finished, unless it was killed first (see {@link #kill}). */
  private void reportFinished() {
    synchronized (this) {
      if (state != VertexState.FINISHED) {
        return; // Killed while its last snapshot was landing: the job restarts it.
      }
      finishReported = true;
      finalizeEverything();
    }
    onDone.accept(this, null);
  }

  /**
   * Finished and reported (no kill restarts it any more): once every output is durable up to its
   * end, nothing can make this partition run again from a snapshot, so all the operator did is
   * stable. Checked every checkpoint interval until then. A vertex without snapshots too: a
   * recompute reads its inputs again from the start, so nothing of it is stable before this, but
   * once it finished and its outputs are durable no recompute or regeneration runs it again.
   */
  private synchronized void finalizeEverything() {
    if (killed || everythingFinalized) {
      return;
    }
    if (!outputs.durableUpTo(outputs.positions())) {
      executor.setTimer(checkpointIntervalMs, this::finalizeEverything);
      return;
    }
    everythingFinalized = true;
    beginTurn();
    try {
      operator.stableUpTo(Operator.EVERYTHING);
    } catch (Throwable t) {
      // The job's output is complete: a source that cannot acknowledge it redelivers, at worst.
      LOG.warn("Vertex {}: finalizing after its end failed: {}", vertexId, t.toString());
    } finally {
      endTurn();
    }
  }

  /**
   * At the job's end, once its streams were closed (so what they hold is durable) and before its
   * vertices are undeployed: what {@link #finalizeEverything}'s timer would do later, done now on
   * the vertex's thread, since the timer dies with the vertex. Completes when done.
   */
  CompletableFuture<Void> finalizeAtJobEnd() {
    CompletableFuture<Void> done = new CompletableFuture<>();
    executor.execute(
        () -> {
          try {
            finalizeEverything();
          } finally {
            done.complete(null);
          }
        });
    return done;
  }

  private void fail(Throwable cause) {
    if (state.isTerminal()) {
      return;
    }
    moveTo(VertexState.FAILED);
    closeQuietly();
    onDone.accept(this, cause);
  }

  private void closeQuietly() {
    try {
      operator.close();
    } catch (Throwable ignored) {
      // Already failing or cancelled: the first cause is the one reported.
    }
  }

  /**
   * Opens the operator's turn unless one is open: entry points nest (a turn that finishes the
   * vertex may report, and so finalize, at once), and the operator sees one turn.
   */
  private void beginTurn() {
    if (turnsOpen++ == 0) {
      operator.beginTurn();
    }
  }

  private void endTurn() {
    if (--turnsOpen == 0) {
      operator.endTurn();
    }
  }

  private void moveTo(VertexState next) {
    if (!state.canMoveTo(next)) {
      throw new IllegalStateException(vertexId + ": illegal transition " + state + " -> " + next);
    }
    state = next;
  }

  // OperatorContext

  @Override
  public void emit(int output, int keyHash, byte[] payload) {
    outputs.emit(output, keyHash, payload);
  }

  @Override
  public long nowMillis() {
    return executor.nowMillis();
  }

  @Override
  public String stageId() {
    return stageId;
  }

  @Override
  public int partition() {
    return partition;
  }

  @Override
  public int parallelism() {
    return parallelism;
  }
}
