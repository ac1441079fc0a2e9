package dev.streamscope.translation.runtime;

import dev.streamscope.vertex.OperatorContext;
import dev.streamscope.vertex.SourceOperator;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.runners.core.metrics.MetricsContainerImpl;
import org.apache.beam.runners.core.metrics.MetricsContainerStepMap;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.metrics.MetricsContainer;
import org.apache.beam.sdk.metrics.MetricsEnvironment;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.WindowedValue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One partition of a fused stage: decodes input elements, pushes them through the stage's steps
 * (plain method calls, no encoding between fused steps), and encodes what leaves the stage.
 *
 * <p>Watermark of a step = min over its ports' sources (stage inputs or upstream steps), passed to
 * the step when it advances; the step's output watermark = min(that, the step's hold). Recomputed
 * in step order whenever an input watermark advances and at the end of every bundle.
 *
 * <p>Processing time has two modes. By default it is the vertex's clock (the seam): every bundle
 * starts by moving each step to it, and the vertex host calls {@link #advanceProcessingTime} when
 * the next processing-time timer is due. In a job with a TestStream it is logical, like the
 * DirectRunner's test clock: it starts at the beginning of time and moves only when the TestStream
 * says so; each advance travels through the stages as a control event in line with the data
 * ({@link Envelope}), so a step sees it after exactly the elements emitted before it, and the
 * outputs of the timers it fires precede it downstream. Runs are then repeatable.
 *
 * <p>Snapshot (between bundles): a format number, the stage and partition it belongs to, the
 * stage's input watermarks, the committed metric values of every step, then each step's own
 * block ({@link Step#snapshot}), named and length-prefixed so a mismatch fails where it is.
 */
public final class FusedStageOperator implements SourceOperator {
  private static final Logger LOG = LoggerFactory.getLogger(FusedStageOperator.class);
  /**
   * The snapshot format; a snapshot of another format is refused, not misread. 2: the values of a
   * collection (a state cell, a window's panes or partial accumulators or side-input values, the
   * timers, the elements waiting for side inputs) share one block (1: a block per value).
   */
  static final int SNAPSHOT_FORMAT = 2;

  private final StagePlan plan;
  private final int partition;
  private final PipelineOptions options;
  private final VertexMetrics vertexMetrics;
  private final MetricsContainerStepMap metrics;
  private final Step[] steps;
  private final long[] stageInputWatermarkMillis;
  private final boolean logicalProcessingTime;
  private final String snapshotUnsupportedReason;
  private MetricsSwitch metricsSwitch;
  private MetricsContainer metricsOutsideTurn;
  private OperatorContext context;
  private boolean inBundle;
  private boolean started;

  public FusedStageOperator(
      StagePlan plan, int partition, PipelineOptions options, VertexMetrics metrics) {
    this.plan = plan;
    this.partition = partition;
    this.options = options;
    this.vertexMetrics = metrics;
    this.metrics = metrics.attempted();
    this.steps = new Step[plan.steps().size()];
    this.stageInputWatermarkMillis = new long[plan.inputs().size()];
    this.logicalProcessingTime = plan.logicalProcessingTime();
    java.util.Arrays.fill(stageInputWatermarkMillis, Long.MIN_VALUE);
    List<StagePlan.StepPlan> stepPlans = plan.steps();
    for (int i = 0; i < steps.length; i++) {
      steps[i] = stepPlans.get(i).factory.apply(partition);
    }
    this.snapshotUnsupportedReason = snapshotUnsupportedReason(steps);
  }

  private static String snapshotUnsupportedReason(Step[] steps) {
    for (Step step : steps) {
      String reason = step.snapshotUnsupportedReason();
      if (reason != null) {
        return "step " + step.name() + ": " + reason;
      }
    }
    return null;
  }

  @Override
  public void open(OperatorContext operatorContext) throws Exception {
    this.context = operatorContext;
    StageRuntime runtime =
        new StageRuntime() {
          @Override
          public PipelineOptions options() {
            return options;
          }

          @Override
          public int partition() {
            return partition;
          }

          @Override
          public int parallelism() {
            return operatorContext.parallelism();
          }

          @Override
          public long nowMillis() {
            return operatorContext.nowMillis();
          }
        };
    List<StagePlan.StepPlan> stepPlans = plan.steps();
    // Receivers per (step, output): downstream step ports in this stage, then stage outputs.
    List<List<List<Receiver>>> receivers = new ArrayList<>();
    for (StagePlan.StepPlan stepPlan : stepPlans) {
      List<List<Receiver>> byOutput = new ArrayList<>();
      for (int o = 0; o < stepPlan.outputCount; o++) {
        byOutput.add(new ArrayList<>());
      }
      receivers.add(byOutput);
    }
    for (int i = 0; i < steps.length; i++) {
      List<StagePlan.PortSource> ports = stepPlans.get(i).ports;
      for (int port = 0; port < ports.size(); port++) {
        StagePlan.PortSource source = ports.get(port);
        if (!source.isStageInput()) {
          receivers.get(source.step()).get(source.stepOutput()).add(portReceiver(steps[i], port));
        }
      }
    }
    for (int o = 0; o < plan.outputs().size(); o++) {
      StagePlan.OutputPlan output = plan.outputs().get(o);
      receivers.get(output.step()).get(output.stepOutput()).add(encoder(o, output));
    }
    metricsSwitch = new MetricsSwitch(metrics.getUnboundContainer());
    for (int i = 0; i < steps.length; i++) {
      Receiver[] outputs = new Receiver[stepPlans.get(i).outputCount];
      for (int o = 0; o < outputs.length; o++) {
        outputs[o] = Receiver.fanOut(receivers.get(i).get(o));
      }
      steps[i].wire(outputs, metrics.getContainer(steps[i].name()), metricsSwitch, runtime);
    }
    for (Step step : steps) {
      try (Closeable ignored = step.scopedMetrics()) {
        step.open();
      }
    }
  }

  private static Receiver portReceiver(Step consumer, int port) {
    return new Receiver() {
      @Override
      public void accept(WindowedValue<?> element) throws Exception {
        consumer.processScoped(port, element);
      }

      @Override
      public void processingTime(long nowMillis) throws Exception {
        consumer.receiveProcessingTime(nowMillis);
      }
    };
  }

  private Receiver encoder(int output, StagePlan.OutputPlan plan) {
    Coder<WindowedValue<?>> coder = plan.coder();
    Coder<Object> keyCoder = plan.keyCoder();
    if (logicalProcessingTime) {
      return new EnvelopeEncoder(output, coder, keyCoder);
    }
    return element -> {
      byte[] bytes = CoderUtils.encodeToByteArray(coder, element);
      context.emit(output, keyHash(keyCoder, element), bytes);
    };
  }

  private static int keyHash(Coder<Object> keyCoder, WindowedValue<?> element) throws Exception {
    if (keyCoder == null) {
      return 0;
    }
    Object key = ((KV<?, ?>) element.getValue()).getKey();
    return ByteKey.hashOf(CoderUtils.encodeToByteArray(keyCoder, key));
  }

  /**
   * Stage output of a job with logical processing time: each payload starts with a tag byte, data
   * ({@link Envelope#DATA}, then the encoded element) or a processing-time advance ({@link
   * Envelope#PROCESSING_TIME}, then 8 bytes), and an advance goes to every partition of every
   * consumer (a key-partitioned or round-robin edge takes one copy per partition).
   */
  private final class EnvelopeEncoder implements Receiver {
    private final int output;
    private final Coder<WindowedValue<?>> coder;
    private final Coder<Object> keyCoder;
    private final int fanOut;

    EnvelopeEncoder(int output, Coder<WindowedValue<?>> coder, Coder<Object> keyCoder) {
      this.output = output;
      this.coder = coder;
      this.keyCoder = keyCoder;
      this.fanOut = plan.outputFanOut(output);
    }

    @Override
    public void accept(WindowedValue<?> element) throws Exception {
      context.emit(output, keyHash(keyCoder, element), Envelope.data(coder, element));
    }

    @Override
    public void processingTime(long nowMillis) {
      byte[] payload = Envelope.processingTime(nowMillis);
      for (int copy = 0; copy < fanOut; copy++) {
        context.emit(output, copy, payload);
      }
    }
  }

  /** Installs the stage's metrics switch on this thread for the turn. */
  /** The stage's steps of type {@code type}, in stage order (for tests that look inside). */
  <T extends Step> List<T> steps(Class<T> type) {
    List<T> found = new ArrayList<>();
    for (Step step : steps) {
      if (type.isInstance(step)) {
        found.add(type.cast(step));
      }
    }
    return found;
  }

  @Override
  public void beginTurn() {
    metricsOutsideTurn = MetricsEnvironment.setCurrentContainer(metricsSwitch);
  }

  @Override
  public void endTurn() {
    MetricsEnvironment.setCurrentContainer(metricsOutsideTurn);
    metricsOutsideTurn = null;
  }

  @Override
  public void startBundle() throws Exception {
    inBundle = true;
    started = true;
    for (Step step : steps) {
      step.inScope(step::startBundle);
    }
    if (!logicalProcessingTime) {
      // Steps see the processing time of the bundle they run in (timers set now are relative to
      // it); timers already due fire here.
      advanceProcessingTime(context.nowMillis());
    }
  }

  @Override
  public void processElement(int input, byte[] payload) throws Exception {
    Coder<WindowedValue<?>> coder = plan.inputs().get(input).coder();
    if (!logicalProcessingTime) {
      steps[0].processScoped(input, CoderUtils.decodeFromByteArray(coder, payload));
    } else if (Envelope.isProcessingTime(payload)) {
      steps[0].receiveProcessingTime(Envelope.processingTimeOf(payload));
    } else {
      steps[0].processScoped(input, Envelope.dataOf(coder, payload));
    }
  }

  @Override
  public void advanceWatermark(int input, long watermarkMillis) throws Exception {
    stageInputWatermarkMillis[input] = watermarkMillis;
    steps[0].inScope(() -> steps[0].onPortWatermark(input, watermarkMillis));
    propagateWatermarks();
  }

  @Override
  public Status emit(int maxElements) throws Exception {
    SourceStep source = (SourceStep) steps[0];
    Status[] status = new Status[1];
    source.inScope(() -> status[0] = source.emit(maxElements));
    propagateWatermarks();
    return status[0];
  }

  private void propagateWatermarks() throws Exception {
    List<StagePlan.StepPlan> stepPlans = plan.steps();
    for (int i = 0; i < steps.length; i++) {
      Step step = steps[i];
      long input;
      if (step instanceof SourceStep) {
        input = ((SourceStep) step).sourceWatermarkMillis();
      } else {
        input = Long.MAX_VALUE;
        for (StagePlan.PortSource source : stepPlans.get(i).ports) {
          long portWatermark =
              source.isStageInput()
                  ? stageInputWatermarkMillis[source.stageInput()]
                  : steps[source.step()].outputWatermarkMillis;
          input = Math.min(input, portWatermark);
        }
      }
      if (input > step.inputWatermarkMillis) {
        step.inputWatermarkMillis = input;
        long watermark = input;
        step.inScope(() -> step.onInputWatermark(watermark));
      }
      step.outputWatermarkMillis = Math.min(step.inputWatermarkMillis, step.holdMillis());
    }
  }

  @Override
  public void advanceProcessingTime(long nowMillis) throws Exception {
    if (logicalProcessingTime) {
      return; // Processing time comes with the data, never from the wall clock.
    }
    for (Step step : steps) {
      step.advanceProcessingTime(nowMillis);
    }
  }

  @Override
  public long nextProcessingTimeMillis() {
    if (logicalProcessingTime) {
      return Long.MAX_VALUE;
    }
    long next = Long.MAX_VALUE;
    for (Step step : steps) {
      next = Math.min(next, step.nextProcessingTimeMillis());
    }
    return next;
  }

  @Override
  public void finishBundle() throws Exception {
    for (Step step : steps) {
      step.inScope(step::finishBundle);
    }
    propagateWatermarks();
    inBundle = false;
  }

  @Override
  public long outputWatermark(int output) {
    return steps[plan.outputs().get(output).step()].outputWatermarkMillis;
  }

  /**
   * True unless a step cannot be saved (a source without a checkpoint-mark coder); the reason is
   * logged once per stage, and the vertex then recovers by recompute.
   */
  @Override
  public boolean snapshotsSupported() {
    if (snapshotUnsupportedReason != null && plan.firstSnapshotRefusal()) {
      LOG.warn(
          "Stage {} cannot be snapshotted ({}); its vertices recover by recomputing their inputs",
          plan.id(),
          snapshotUnsupportedReason);
    }
    return snapshotUnsupportedReason == null;
  }

  @Override
  public void snapshotState(long snapshotVersion, DataOutputStream out) throws Exception {
    if (snapshotUnsupportedReason != null) {
      throw new UnsupportedOperationException(
          "Stage " + plan.id() + " cannot be snapshotted: " + snapshotUnsupportedReason);
    }
    if (context == null || inBundle) {
      throw new IllegalStateException(
          "Stage " + plan.id() + "#" + partition + ": a snapshot is taken between bundles of an"
              + " open operator" + (inBundle ? ", not inside a bundle" : ""));
    }
    out.writeInt(SNAPSHOT_FORMAT);
    SnapshotIo.writeString(out, plan.id());
    out.writeInt(partition);
    out.writeInt(stageInputWatermarkMillis.length);
    for (long watermark : stageInputWatermarkMillis) {
      out.writeLong(watermark);
    }
    writeCommittedMetrics(out);
    out.writeInt(steps.length);
    for (Step step : steps) {
      SnapshotIo.writeString(out, step.name());
      SnapshotIo.writeBytes(out, SnapshotIo.toBytes(stepOut -> step.writeSnapshot(snapshotVersion, stepOut)));
    }
  }

  /** Each step commits what the snapshots up to {@code snapshotVersion} cover (see {@link Step}). */
  @Override
  public void stableUpTo(long snapshotVersion) throws Exception {
    for (Step step : steps) {
      step.inScope(() -> step.stableUpTo(snapshotVersion));
    }
  }

  /** A step waits for the next snapshot to act (a DoFn's bundle finalization callbacks). */
  @Override
  public boolean finalizationPending() {
    for (Step step : steps) {
      if (step.finalizationPending()) {
        return true;
      }
    }
    return false;
  }

  @Override
  public boolean workLeft() {
    for (Step step : steps) {
      if (step.workLeft()) {
        return true;
      }
    }
    return false;
  }

  /** The first step with work left goes on; downstream steps see what it emits at once. */
  @Override
  public void continueWork() throws Exception {
    for (Step step : steps) {
      if (step.workLeft()) {
        step.inScope(step::continueWork);
        return;
      }
    }
  }

  @Override
  public void restoreState(DataInputStream in) throws Exception {
    if (context == null || started) {
      throw new IllegalStateException(
          "Stage " + plan.id() + "#" + partition + ": restore after open and before any bundle");
    }
    int format = in.readInt();
    if (format != SNAPSHOT_FORMAT) {
      throw new IllegalStateException(
          "Stage " + plan.id() + ": snapshot format " + format + ", expected " + SNAPSHOT_FORMAT);
    }
    String stageId = SnapshotIo.readString(in);
    int snapshotPartition = in.readInt();
    if (!stageId.equals(plan.id()) || snapshotPartition != partition) {
      throw new IllegalStateException(
          "Snapshot of " + stageId + "#" + snapshotPartition + " given to " + plan.id() + "#"
              + partition);
    }
    int inputs = in.readInt();
    checkCount("stage inputs", inputs, stageInputWatermarkMillis.length);
    for (int i = 0; i < inputs; i++) {
      stageInputWatermarkMillis[i] = in.readLong();
    }
    readCommittedMetrics(in);
    checkCount("steps", in.readInt(), steps.length);
    for (Step step : steps) {
      String name = SnapshotIo.readString(in);
      if (!name.equals(step.name())) {
        throw new IllegalStateException(
            "Stage " + plan.id() + ": snapshot has step " + name + " where the stage has "
                + step.name());
      }
      DataInputStream stepIn = SnapshotIo.reader(SnapshotIo.readBytes(in));
      try {
        step.readSnapshot(stepIn);
      } catch (IOException | IllegalStateException e) {
        // What failed inside the step (a block, a cell) names itself; this says whose it is.
        throw new IllegalStateException(
            "Stage " + plan.id() + " step " + name + ": " + e.getMessage(), e);
      }
      SnapshotIo.checkFullyRead(stepIn, "Stage " + plan.id() + " step " + name);
    }
    SnapshotIo.checkFullyRead(in, "Stage " + plan.id());
    started = true;
  }

  private void checkCount(String what, int snapshot, int stage) {
    if (snapshot != stage) {
      throw new IllegalStateException(
          "Stage " + plan.id() + ": snapshot has " + snapshot + " " + what + ", the stage "
              + stage);
    }
  }

  /**
   * Per container (the unbound one, then each step's): this instance's committed values, i.e.
   * those it was restored with plus what its own work reported since.
   */
  private void writeCommittedMetrics(DataOutputStream out) throws Exception {
    List<String> names = metricContainerNames();
    out.writeInt(names.size());
    for (String name : names) {
      MetricsContainerImpl committed = new MetricsContainerImpl(name);
      committed.update(vertexMetrics.restored().getContainer(name));
      committed.update(metrics.getContainer(name));
      MetricsSnapshot.write(out, committed);
    }
  }

  private void readCommittedMetrics(DataInputStream in) throws Exception {
    List<String> names = metricContainerNames();
    checkCount("metric containers", in.readInt(), names.size());
    for (String name : names) {
      MetricsSnapshot.read(in, vertexMetrics.restored().getContainer(name));
    }
  }

  /** The containers this stage reports into: null is the unbound one. */
  private List<String> metricContainerNames() {
    List<String> names = new ArrayList<>();
    names.add(null);
    for (Step step : steps) {
      if (!names.contains(step.name())) {
        names.add(step.name());
      }
    }
    return names;
  }

  @Override
  public void close() throws Exception {
    for (Step step : steps) {
      if (step != null) {
        try (Closeable ignored = step.scopedMetrics()) {
          step.close();
        }
      }
    }
  }
}
