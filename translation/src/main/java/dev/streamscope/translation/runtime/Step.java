package dev.streamscope.translation.runtime;

import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import org.apache.beam.runners.core.metrics.MetricsContainerImpl;
import org.apache.beam.sdk.metrics.MetricsEnvironment;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.values.WindowedValue;

/**
 * The running form of one translated Beam primitive inside a fused stage (one partition). Its
 * inputs are numbered ports (port 0 is the main input); its outputs are numbered like the
 * primitive's output PCollections.
 *
 * <p>Watermarks: the stage calls {@link #onInputWatermark} when the minimum over the step's ports
 * advanced; the step's output watermark is that minimum held back by {@link #holdMillis()}.
 *
 * <p>Snapshots: a step that keeps anything from one bundle to the next (state, timers, buffered
 * elements, a source position, a counter) writes it in {@link #snapshot} and reads it back in
 * {@link #restore}, so that a fresh step continues exactly as the snapshotted one would have; the
 * watermarks and processing time every step has are saved here. A step that cannot be saved says
 * why in {@link #snapshotUnsupportedReason}, and its stage then recovers by recompute. What a
 * step may only do once its state can no longer be rolled back (acknowledge a source's records,
 * run a DoFn's bundle finalization callbacks) it does in {@link #stableUpTo}, for the snapshots
 * it wrote.
 */
public abstract class Step {
  private final String name;
  private Receiver[] outputs;
  private MetricsContainerImpl metrics;
  private MetricsSwitch metricsSwitch;
  private StageRuntime runtime;
  long inputWatermarkMillis = Long.MIN_VALUE;
  long outputWatermarkMillis = Long.MIN_VALUE;
  private long processingTimeMillis = Long.MIN_VALUE;
  private long snapshotVersion;

  protected Step(String name) {
    this.name = name;
  }

  public String name() {
    return name;
  }

  final void wire(
      Receiver[] outputs,
      MetricsContainerImpl metrics,
      MetricsSwitch metricsSwitch,
      StageRuntime runtime) {
    this.outputs = outputs;
    this.metrics = metrics;
    this.metricsSwitch = metricsSwitch;
    this.runtime = runtime;
  }

  protected final StageRuntime runtime() {
    return runtime;
  }

  protected final PipelineOptions options() {
    return runtime.options();
  }

  protected final void output(int output, WindowedValue<?> element) throws Exception {
    outputs[output].accept(element);
  }

  /**
   * Makes Beam metrics reported by user code land in this step's container, outside a turn
   * (inside one, the stage's {@link MetricsSwitch} is installed and {@link #processScoped} only
   * flips it).
   */
  final Closeable scopedMetrics() {
    return MetricsEnvironment.scopedMetricsContainer(metrics);
  }

  /** Runs {@code action} with this step's metrics container current, inside a turn. */
  final void inScope(StepAction action) throws Exception {
    MetricsContainerImpl previous = metricsSwitch.current;
    metricsSwitch.current = metrics;
    try {
      action.run();
    } finally {
      metricsSwitch.current = previous;
    }
  }

  /** A piece of step work that may throw. */
  @FunctionalInterface
  interface StepAction {
    void run() throws Exception;
  }

  /** Called once before the first bundle. */
  protected void open() throws Exception {}

  /**
   * Why this step cannot be snapshotted, or null if it can. Asked before {@link #open}: it must
   * depend on the step's configuration only.
   */
  protected String snapshotUnsupportedReason() {
    return null;
  }

  /**
   * Writes what this step keeps between bundles. Called between bundles only, after {@link
   * #open}; must not change what the step does next. The default writes nothing: right for steps
   * that keep nothing between bundles.
   */
  protected void snapshot(DataOutputStream out) throws Exception {}

  /**
   * Reads what {@link #snapshot} wrote, once, after {@link #open} and before the first bundle;
   * the step then continues as the one that wrote it.
   */
  protected void restore(DataInputStream in) throws Exception {}

  /** The version of the snapshot {@link #snapshot} is writing (or wrote last). */
  protected final long snapshotVersion() {
    return snapshotVersion;
  }

  /**
   * The snapshots this step wrote up to {@code snapshotVersion} are stable: no restore goes back
   * before them (see {@code Operator.stableUpTo}; {@code Operator.EVERYTHING}: after {@link
   * #close} of a finished stage, all is). Called in growing versions, inside a turn.
   */
  protected void stableUpTo(long snapshotVersion) throws Exception {}

  /**
   * Whether the step registered something {@link #stableUpTo} will act on once the next snapshot
   * taken is stable (see {@code Operator.finalizationPending}). Asked between elements: cheap.
   */
  protected boolean finalizationPending() {
    return false;
  }

  /**
   * Whether a call stopped early, leaving work ready for {@link #continueWork} (see {@code
   * Operator.workLeft}): it does so only while {@link #finalizationPending}.
   */
  protected boolean workLeft() {
    return false;
  }

  /** Goes on with the work left, inside a bundle; does some of it at least. */
  protected void continueWork() throws Exception {}

  /** The watermarks and processing time every step has, then the step's own {@link #snapshot}. */
  final void writeSnapshot(long version, DataOutputStream out) throws Exception {
    snapshotVersion = version;
    out.writeLong(inputWatermarkMillis);
    out.writeLong(outputWatermarkMillis);
    out.writeLong(processingTimeMillis);
    inScope(() -> snapshot(out));
  }

  final void readSnapshot(DataInputStream in) throws Exception {
    inputWatermarkMillis = in.readLong();
    outputWatermarkMillis = in.readLong();
    processingTimeMillis = in.readLong();
    inScope(() -> restore(in));
  }

  protected void startBundle() throws Exception {}

  /** One element on input {@code port}. */
  protected abstract void process(int port, WindowedValue<?> element) throws Exception;

  /** The watermark of input {@code port} alone advanced (side inputs need it per port). */
  protected void onPortWatermark(int port, long watermarkMillis) throws Exception {}

  /** The minimum watermark over all ports advanced: fire due event-time timers. */
  protected void onInputWatermark(long watermarkMillis) throws Exception {}

  /**
   * Processing time reached {@code nowMillis} (never called with a time it was already at): fire
   * due processing-time timers.
   */
  protected void onProcessingTime(long nowMillis) throws Exception {}

  /** The processing time this step last advanced to, or {@code Long.MIN_VALUE}. */
  protected final long processingTimeMillis() {
    return processingTimeMillis;
  }

  /**
   * A source step's processing-time advance (a TestStream's): the step's own time moves, and the
   * advance travels downstream after everything it emitted so far.
   */
  protected final void emitProcessingTime(long nowMillis) throws Exception {
    receiveProcessingTime(nowMillis);
  }

  /**
   * Logical processing time: an advance that arrived on one of the ports, after the elements sent
   * before it. Processing time is one clock for the whole job, so the step takes the latest
   * advance of any port; timers it fires emit before the advance moves on downstream.
   */
  final void receiveProcessingTime(long nowMillis) throws Exception {
    if (!advanceProcessingTime(nowMillis)) {
      return;
    }
    for (Receiver output : outputs) {
      output.processingTime(nowMillis);
    }
  }

  /** Moves this step's processing time (and fires its due timers); false if it did not move. */
  final boolean advanceProcessingTime(long nowMillis) throws Exception {
    if (nowMillis <= processingTimeMillis) {
      return false;
    }
    processingTimeMillis = nowMillis;
    inScope(() -> onProcessingTime(nowMillis));
    return true;
  }

  protected long nextProcessingTimeMillis() {
    return Long.MAX_VALUE;
  }

  /** Earliest timestamp this step may still output below its input watermark. */
  protected long holdMillis() {
    return Long.MAX_VALUE;
  }

  protected void finishBundle() throws Exception {}

  protected void close() throws Exception {}

  final void processScoped(int port, WindowedValue<?> element) throws Exception {
    MetricsContainerImpl previous = metricsSwitch.current;
    metricsSwitch.current = metrics;
    try {
      process(port, element);
    } finally {
      metricsSwitch.current = previous;
    }
  }
}
