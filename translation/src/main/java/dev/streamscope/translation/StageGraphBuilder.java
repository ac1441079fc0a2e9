package dev.streamscope.translation;

import dev.streamscope.translation.runtime.FusedStageOperator;
import dev.streamscope.translation.runtime.StagePlan;
import dev.streamscope.translation.runtime.Step;
import dev.streamscope.translation.runtime.StreamPayloads;
import dev.streamscope.vertex.graph.EdgeKind;
import dev.streamscope.vertex.graph.InputSpec;
import dev.streamscope.vertex.graph.JobGraph;
import dev.streamscope.vertex.graph.StageSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.apache.beam.runners.core.metrics.MetricsContainerImpl;
import org.apache.beam.runners.core.metrics.MetricsContainerStepMap;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fuses translated steps into stages. A step either starts a stage (sources, keyed steps,
 * multi-input steps) or is fused into the stage that produces its single input (element-wise
 * steps). Edges between stages carry encoded {@code WindowedValue}s.
 *
 * <p>A stage is nondeterministic (its vertices persist their outputs before exposing them: strong
 * productions) if a translator marked one of its steps ({@link #markNondeterministic}; {@link
 * #markWallClockDependent} only counts while processing time is the wall clock), or the user named
 * one ({@link #markNamedSteps}).
 */
public final class StageGraphBuilder {
  /** One input of a stage-starting step, with how it is partitioned. */
  public record StageInput(PCollection<?> collection, EdgeKind kind) {
    /** The main input reached over {@code kind}, then each side input's collection, broadcast. */
    public static List<StageInput> withSideInputs(
        PCollection<?> main, EdgeKind kind, List<PCollectionView<?>> sideInputs) {
      List<StageInput> inputs = new ArrayList<>(1 + sideInputs.size());
      inputs.add(new StageInput(main, kind));
      for (PCollectionView<?> view : sideInputs) {
        inputs.add(new StageInput(view.getPCollection(), EdgeKind.BROADCAST));
      }
      return inputs;
    }
  }

  private record Producer(Stage stage, int step, int stepOutput) {}

  private static final class Stage {
    final StagePlan plan;
    final int parallelism;
    final List<InputSpec> inputs = new ArrayList<>();
    final Map<PCollection<?>, Integer> outputIndex = new HashMap<>();
    final List<String> stepNames = new ArrayList<>();
    /** Why a replay of the stage could write other output than the run before it, or null. */
    String nondeterministic;
    /** The same, for a reason that holds only while processing time is the wall clock. */
    String wallClockDependent;

    Stage(String id, int parallelism) {
      this.plan = new StagePlan(id);
      this.parallelism = parallelism;
    }
  }

  private static final Logger LOG = LoggerFactory.getLogger(StageGraphBuilder.class);

  private final Map<PCollection<?>, Producer> producers = new HashMap<>();
  private final List<Stage> stages = new ArrayList<>();
  private final Map<String, Stage> stageOfStep = new HashMap<>();
  private boolean logicalProcessingTime;
  /** Metrics user code reports during translation (a source's split or size estimate). */
  private final MetricsContainerStepMap translationMetrics = new MetricsContainerStepMap();

  /** Where Beam metrics reported by {@code step}'s user code at translation time go. */
  public MetricsContainerImpl translationMetrics(String step) {
    return translationMetrics.getContainer(step);
  }

  /**
   * Makes processing time logical for the whole job (a TestStream drives it, as Beam's
   * DirectRunner does with its test clock): see {@link FusedStageOperator}.
   */
  public void useLogicalProcessingTime() {
    logicalProcessingTime = true;
  }

  /** A step with no inputs starting a stage of {@code parallelism} partitions. */
  public void source(String name, int parallelism, IntFunction<Step> factory, List<PCollection<?>> outputs) {
    Stage stage = new Stage(name, parallelism);
    stages.add(stage);
    addStep(stage, name, factory, List.of(), outputs);
  }

  /** A step fused into the stage producing {@code input}. */
  public void fused(String name, IntFunction<Step> factory, PCollection<?> input, List<PCollection<?>> outputs) {
    Producer producer = producerOf(input, name);
    addStep(
        producer.stage,
        name,
        factory,
        List.of(StagePlan.PortSource.ofStep(producer.step, producer.stepOutput)),
        outputs);
  }

  /** A step starting a new stage fed by {@code inputs} (port i = inputs[i]). */
  public void rooted(
      String name,
      int parallelism,
      IntFunction<Step> factory,
      List<StageInput> inputs,
      List<PCollection<?>> outputs) {
    Stage stage = new Stage(name, parallelism);
    List<StagePlan.PortSource> ports = new ArrayList<>();
    for (StageInput input : inputs) {
      Producer producer = producerOf(input.collection(), name);
      EdgeKind kind = input.kind();
      if (kind == EdgeKind.FORWARD && producer.stage.parallelism != parallelism) {
        kind = EdgeKind.REBALANCE;
      }
      int output = outputOf(producer, input.collection(), kind == EdgeKind.HASH);
      if (kind == EdgeKind.HASH || kind == EdgeKind.REBALANCE) {
        producer.stage.plan.addPartitionedConsumer(output, parallelism);
      }
      stage.inputs.add(new InputSpec(producer.stage.plan.id(), output, kind));
      int stageInput = stage.plan.addInput(new StagePlan.InputPlan(windowedCoder(input.collection())));
      ports.add(StagePlan.PortSource.ofStageInput(stageInput));
    }
    stages.add(stage);
    addStep(stage, name, factory, ports, outputs);
  }

  /**
   * Marks the stage of {@code step} (translated already) nondeterministic: {@code why} a replay
   * of the step could write other output than the run before it.
   */
  public void markNondeterministic(String step, String why) {
    Stage stage = stageOf(step);
    if (stage.nondeterministic == null) {
      stage.nondeterministic = "step " + step + " " + why;
    }
  }

  /**
   * As {@link #markNondeterministic}, for a step that depends on processing time ({@code why}):
   * nondeterministic only while it is the wall clock, not in a job whose TestStream drives it.
   */
  public void markWallClockDependent(String step, String why) {
    Stage stage = stageOf(step);
    if (stage.wallClockDependent == null) {
      stage.wallClockDependent = "step " + step + " " + why + " on the wall clock";
    }
  }

  /**
   * Marks nondeterministic the stages with a step whose full name starts with one of {@code
   * prefixes} (the user's list). A prefix that names no step is an error: it would mark nothing.
   */
  public void markNamedSteps(List<String> prefixes) {
    for (String prefix : prefixes) {
      boolean found = false;
      for (Stage stage : stages) {
        for (String step : stage.stepNames) {
          if (step.startsWith(prefix)) {
            found = true;
            if (stage.nondeterministic == null) {
              stage.nondeterministic = "step " + step + " is named nondeterministic by the user";
            }
          }
        }
      }
      if (!found) {
        List<String> names = new ArrayList<>(stageOfStep.keySet());
        java.util.Collections.sort(names);
        throw new IllegalArgumentException(
            "Nondeterministic steps: no step's name starts with '" + prefix + "'; the steps are "
                + names);
      }
    }
  }

  private Stage stageOf(String step) {
    Stage stage = stageOfStep.get(step);
    if (stage == null) {
      throw new IllegalStateException("No translated step " + step);
    }
    return stage;
  }

  /** Parallelism of the stage producing {@code collection}. */
  public int parallelismOf(PCollection<?> collection, String consumer) {
    return producerOf(collection, consumer).stage.parallelism;
  }

  private void addStep(
      Stage stage,
      String name,
      IntFunction<Step> factory,
      List<StagePlan.PortSource> ports,
      List<PCollection<?>> outputs) {
    int step = stage.plan.addStep(new StagePlan.StepPlan(name, factory, ports, outputs.size()));
    stage.stepNames.add(name);
    stageOfStep.put(name, stage);
    for (int o = 0; o < outputs.size(); o++) {
      producers.put(outputs.get(o), new Producer(stage, step, o));
    }
  }

  private Producer producerOf(PCollection<?> collection, String consumer) {
    Producer producer = producers.get(collection);
    if (producer == null) {
      throw new IllegalStateException(
          "Step " + consumer + " reads " + collection.getName() + ", which no translated step produces");
    }
    return producer;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private int outputOf(Producer producer, PCollection<?> collection, boolean keyed) {
    Stage stage = producer.stage;
    Integer index = stage.outputIndex.get(collection);
    Coder<Object> keyCoder = null;
    if (keyed) {
      if (!(collection.getCoder() instanceof KvCoder)) {
        throw new IllegalStateException(
            collection.getName() + " is partitioned by key but its coder is not a KvCoder: "
                + collection.getCoder());
      }
      keyCoder = ((KvCoder) collection.getCoder()).getKeyCoder();
    }
    if (index == null) {
      index =
          stage.plan.addOutput(
              new StagePlan.OutputPlan(
                  producer.step, producer.stepOutput, windowedCoder(collection), keyCoder));
      stage.outputIndex.put(collection, index);
    } else if (keyed && stage.plan.outputs().get(index).keyCoder() == null) {
      StagePlan.OutputPlan old = stage.plan.outputs().get(index);
      stage.plan.setOutput(
          index, new StagePlan.OutputPlan(old.step(), old.stepOutput(), old.coder(), keyCoder));
    }
    return index;
  }

  /** How the payloads of every stage input's streams are encoded (after every step was added). */
  StreamPayloads payloads() {
    StreamPayloads payloads = new StreamPayloads(logicalProcessingTime);
    for (Stage stage : stages) {
      for (int i = 0; i < stage.inputs.size(); i++) {
        InputSpec input = stage.inputs.get(i);
        payloads.addInput(
            input.producerStage(), input.producerOutput(), stage.plan.id(), i, stage.plan.inputs().get(i).coder());
      }
    }
    return payloads;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  static Coder<WindowedValue<?>> windowedCoder(PCollection<?> collection) {
    return (Coder)
        WindowedValues.getFullCoder(
            collection.getCoder(), collection.getWindowingStrategy().getWindowFn().windowCoder());
  }

  /** The metrics of the job {@link #build} makes; translation's own are part of them. */
  JobMetrics jobMetrics() {
    return new JobMetrics(translationMetrics);
  }

  /** The Beam steps fused into each stage, by stage id, in stage order. */
  java.util.Map<String, List<String>> stepsByStage() {
    java.util.Map<String, List<String>> steps = new java.util.LinkedHashMap<>();
    for (Stage stage : stages) {
      steps.put(stage.plan.id(), stage.plan.steps().stream().map(StagePlan.StepPlan::name).toList());
    }
    return steps;
  }

  /** The job graph; every operator instance it creates reports into {@code metrics}. */
  JobGraph build(PipelineOptions options, JobMetrics metrics) {
    JobGraph graph = new JobGraph();
    for (Stage stage : stages) {
      StagePlan plan = stage.plan;
      plan.setLogicalProcessingTime(logicalProcessingTime);
      String nondeterministic =
          stage.nondeterministic != null || logicalProcessingTime
              ? stage.nondeterministic
              : stage.wallClockDependent;
      if (nondeterministic != null) {
        LOG.info(
            "Stage {} is nondeterministic ({}): its vertices persist their outputs before they"
                + " expose them",
            plan.id(),
            nondeterministic);
      }
      graph.add(
          new StageSpec(
              plan.id(),
              stage.parallelism,
              stage.inputs,
              plan.outputs().size(),
              partition ->
                  new FusedStageOperator(
                      plan, partition, options, metrics.newInstance(plan.id() + "#" + partition)),
              nondeterministic != null));
    }
    return graph;
  }
}
