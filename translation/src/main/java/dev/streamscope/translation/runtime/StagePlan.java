package dev.streamscope.translation.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntFunction;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.values.WindowedValue;

/**
 * The steps fused into one stage and how they connect: built once at translation, instantiated
 * per partition as a {@link FusedStageOperator}.
 */
public final class StagePlan {
  /** Where a step input port reads from: another step's output, or a stage input. */
  public record PortSource(int step, int stepOutput, int stageInput) {
    public static PortSource ofStep(int step, int stepOutput) {
      return new PortSource(step, stepOutput, -1);
    }

    public static PortSource ofStageInput(int stageInput) {
      return new PortSource(-1, -1, stageInput);
    }

    boolean isStageInput() {
      return stageInput >= 0;
    }
  }

  /** One fused step. */
  public static final class StepPlan {
    final String name;
    final IntFunction<Step> factory;
    final List<PortSource> ports;
    final int outputCount;

    public StepPlan(String name, IntFunction<Step> factory, List<PortSource> ports, int outputCount) {
      this.name = name;
      this.factory = factory;
      this.ports = List.copyOf(ports);
      this.outputCount = outputCount;
    }

    /** The Beam step (full transform name) this runs. */
    public String name() {
      return name;
    }
  }

  /** An input of the stage: decoded with {@code coder}. */
  public record InputPlan(Coder<WindowedValue<?>> coder) {}

  /**
   * An output of the stage: output {@code stepOutput} of step {@code step}, encoded with {@code
   * coder}; {@code keyCoder} is set when a consumer partitions by key.
   */
  public record OutputPlan(
      int step, int stepOutput, Coder<WindowedValue<?>> coder, Coder<Object> keyCoder) {}

  private final String id;
  private final List<StepPlan> steps = new ArrayList<>();
  private final List<InputPlan> inputs = new ArrayList<>();
  private final List<OutputPlan> outputs = new ArrayList<>();
  private final List<Integer> outputFanOuts = new ArrayList<>();
  private boolean logicalProcessingTime;
  private final AtomicBoolean snapshotRefusalLogged = new AtomicBoolean();

  public StagePlan(String id) {
    this.id = id;
  }

  public String id() {
    return id;
  }

  public int addStep(StepPlan step) {
    steps.add(step);
    return steps.size() - 1;
  }

  public int addInput(InputPlan input) {
    inputs.add(input);
    return inputs.size() - 1;
  }

  public int addOutput(OutputPlan output) {
    outputs.add(output);
    outputFanOuts.add(1);
    return outputs.size() - 1;
  }

  /**
   * A consumer of output {@code index} has {@code partitions} partitions and picks one per event
   * (by key hash or round-robin): a control event must be emitted that many times to reach each.
   */
  public void addPartitionedConsumer(int index, int partitions) {
    outputFanOuts.set(index, Math.max(outputFanOuts.get(index), partitions));
  }

  /** How often a control event goes out on output {@code index} to reach every partition. */
  public int outputFanOut(int index) {
    return outputFanOuts.get(index);
  }

  /**
   * Processing time of the whole job is logical (a TestStream drives it): it travels with the
   * data as control events, and the wall clock is never read for it.
   */
  public void setLogicalProcessingTime(boolean logical) {
    this.logicalProcessingTime = logical;
  }

  public boolean logicalProcessingTime() {
    return logicalProcessingTime;
  }

  /** True the first time only: why the stage has no snapshots is logged once, not per vertex. */
  boolean firstSnapshotRefusal() {
    return snapshotRefusalLogged.compareAndSet(false, true);
  }

  public void setOutput(int index, OutputPlan output) {
    outputs.set(index, output);
  }

  public List<StepPlan> steps() {
    return steps;
  }

  public List<InputPlan> inputs() {
    return inputs;
  }

  public List<OutputPlan> outputs() {
    return outputs;
  }
}
