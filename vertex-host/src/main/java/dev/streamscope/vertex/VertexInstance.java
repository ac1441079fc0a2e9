package dev.streamscope.vertex;

import dev.streamscope.rstream.StreamEvent;
import dev.streamscope.vertex.seams.VertexExecutor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;

/**
 * One running partition of a stage (an rVertex): reads its input rStreams through an {@link
 * InputMerger}, drives its {@link Operator}, and writes the operator's output and punctuation to
 * its output rStreams through an {@link OutputRouter}.
 *
 * <p>Everything runs on the vertex's {@link VertexExecutor}, a turn at a time: a turn consumes at
 * most {@code turnEventsMax} input events, publishes its outputs, and yields. A vertex with
 * nothing to read sleeps until an input stream publishes. Bundles and output punctuation follow
 * input epochs, not turns, so what a vertex writes is a function of what it read: the same
 * whatever the scheduling (the simulator checks this).
 *
 * <p>Watermarks: input watermark of a logical input = min over its channels' last punctuation;
 * output watermark = what the operator reports (input watermark held back by its state), written
 * as punctuation after the outputs it covers, at the end of each turn.
 */
final class VertexInstance implements OperatorContext {
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

  private volatile boolean killed;
  private VertexExecutor executor;
  private VertexState state = VertexState.CREATED;
  private long processingTimerAtMillis = Long.MAX_VALUE;
  private long processingTimerId = -1;
  private boolean inBundle;

  VertexInstance(
      String stageId,
      int partition,
      int parallelism,
      Operator operator,
      InputMerger inputs,
      OutputRouter outputs,
      VertexConfig config,
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
    this.inputWatermarkMillis = new long[inputs.inputCount()];
    java.util.Arrays.fill(inputWatermarkMillis, Long.MIN_VALUE);
  }

  String vertexId() {
    return vertexId;
  }

  /** Starts the vertex on {@code executor}; called on the executor's thread. */
  synchronized void start(VertexExecutor executor) {
    this.executor = executor;
    if (killed) {
      return;
    }
    try {
      moveTo(VertexState.RUNNING);
      operator.open(this);
      inputs.onPublished(this::wakeUp);
      outputs.onReleased(this::wakeUp);
      runTurn();
    } catch (Throwable t) {
      fail(t);
    }
  }

  /** Stops the vertex where it is (job cancelled or failed elsewhere). */
  void cancel() {
    if (executor == null) {
      return; // Not started: nothing runs, nothing to stop.
    }
    executor.execute(
        () -> {
          if (!state.isTerminal()) {
            moveTo(VertexState.CANCELLED);
            closeQuietly();
          }
        });
  }

  private void wakeUp() {
    if (turnScheduled.compareAndSet(false, true)) {
      executor.execute(this::runTurn);
    }
  }

  /**
   * Stops this instance for good, from any thread: a turn in progress finishes first (turns hold
   * the instance's monitor), none starts after. Its outputs are then free for a replacement.
   * Returns false if it had already finished, failed or been cancelled.
   */
  boolean kill() {
    killed = true;
    synchronized (this) {
      if (state.isTerminal()) {
        return false;
      }
      state = VertexState.FAILED;
      return true;
    }
  }

  private synchronized void runTurn() {
    turnScheduled.set(false);
    if (state != VertexState.RUNNING || killed) {
      return;
    }
    operator.beginTurn();
    try {
      // A stage without inputs is a source; its operator must be a SourceOperator.
      boolean more =
          inputs.channelCount() == 0 ? sourceTurn((SourceOperator) operator) : consumerTurn();
      if (state == VertexState.RUNNING) {
        scheduleProcessingTimer();
        if (more) {
          wakeUp();
        }
      }
    } catch (Throwable t) {
      fail(t);
    } finally {
      operator.endTurn();
    }
  }

  /**
   * Consumes up to {@code turnEventsMax} input events. A bundle is one input epoch: it starts with
   * the epoch's first event and finishes with its punctuation, when the outputs get theirs; an
   * epoch may span turns. Returns true if more input is ready now.
   */
  private boolean consumerTurn() throws Exception {
    int consumed = 0;
    while (consumed < config.turnEventsMax()) {
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
        operator.advanceWatermark(input, watermark);
      }
      operator.finishBundle();
      inBundle = false;
      punctuate();
      if (inputs.allEnded()) {
        inputs.releaseConsumed();
        finish();
        return false;
      }
    }
    outputs.publish();
    inputs.releaseConsumed();
    return consumed == config.turnEventsMax();
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
    outputs.publish();
    switch (status) {
      case DONE:
        finish();
        return false;
      case IDLE:
        executor.setTimer(config.idlePollMs(), this::wakeUp);
        return false;
      default:
        return true;
    }
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
    if (state != VertexState.RUNNING || killed) {
      return;
    }
    operator.beginTurn();
    try {
      // Inside an open bundle the timers fire as part of it; else in a bundle of their own.
      if (inBundle) {
        operator.advanceProcessingTime(executor.nowMillis());
      } else {
        operator.startBundle();
        operator.advanceProcessingTime(executor.nowMillis());
        operator.finishBundle();
        punctuate();
      }
      outputs.publish();
      scheduleProcessingTimer();
    } catch (Throwable t) {
      fail(t);
    } finally {
      operator.endTurn();
    }
  }

  private void finish() throws Exception {
    operator.close();
    for (int o = 0; o < outputs.outputCount(); o++) {
      outputs.punctuate(o, Long.MAX_VALUE);
    }
    outputs.end();
    outputs.publish();
    if (processingTimerId >= 0) {
      executor.cancelTimer(processingTimerId);
    }
    moveTo(VertexState.FINISHED);
    onDone.accept(this, null);
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
