package dev.streamscope.translation;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;

/** What a {@link TransformTranslator} sees of the transform it translates and of the job. */
public final class TranslationContext {
  private final TransformHierarchy.Node node;
  private final PipelineOptions options;
  private final int parallelism;
  private final StageGraphBuilder stages;
  private final org.apache.beam.sdk.Pipeline pipeline;

  TranslationContext(
      org.apache.beam.sdk.Pipeline pipeline,
      TransformHierarchy.Node node,
      PipelineOptions options,
      int parallelism,
      StageGraphBuilder stages) {
    this.pipeline = pipeline;
    this.node = node;
    this.options = options;
    this.parallelism = parallelism;
    this.stages = stages;
  }

  public String stepName() {
    return node.getFullName();
  }

  public AppliedPTransform<?, ?, ?> applied() {
    return node.toAppliedPTransform(pipeline);
  }

  public TransformHierarchy.Node node() {
    return node;
  }

  public PipelineOptions options() {
    return options;
  }

  /** Partitions of keyed and other non-source stages. */
  public int parallelism() {
    return parallelism;
  }

  public StageGraphBuilder stages() {
    return stages;
  }

  /** The main inputs (side inputs excluded), in order. */
  public List<PCollection<?>> mainInputs() {
    List<PCollection<?>> inputs = new ArrayList<>();
    Map<TupleTag<?>, PValue> additional = node.getTransform().getAdditionalInputs();
    for (Map.Entry<TupleTag<?>, PCollection<?>> input : node.getInputs().entrySet()) {
      if (!additional.containsKey(input.getKey())) {
        inputs.add(input.getValue());
      }
    }
    return inputs;
  }

  public PCollection<?> mainInput() {
    List<PCollection<?>> inputs = mainInputs();
    if (inputs.size() != 1) {
      throw new IllegalStateException(stepName() + " has " + inputs.size() + " main inputs, expected 1");
    }
    return inputs.get(0);
  }

  public Map<TupleTag<?>, PCollection<?>> outputs() {
    return node.getOutputs();
  }

  public List<PCollection<?>> outputList() {
    return new ArrayList<>(node.getOutputs().values());
  }
}
