package dev.streamscope.vertex.graph;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The stages of a job in topological order, with the edges between them checked. */
public final class JobGraph {
  /** One consumer of a producer's output. */
  public record Consumer(StageSpec stage, int input, EdgeKind kind) {}

  private final Map<String, StageSpec> stages = new LinkedHashMap<>();
  private final Map<String, List<List<Consumer>>> consumers = new LinkedHashMap<>();

  /** Adds {@code stage}; its producers must have been added before. */
  public JobGraph add(StageSpec stage) {
    if (stages.containsKey(stage.id())) {
      throw new IllegalArgumentException("Duplicate stage id " + stage.id());
    }
    for (int i = 0; i < stage.inputs().size(); i++) {
      InputSpec input = stage.inputs().get(i);
      StageSpec producer = stages.get(input.producerStage());
      if (producer == null) {
        throw new IllegalArgumentException(
            "Stage " + stage.id() + " reads unknown stage " + input.producerStage());
      }
      if (input.producerOutput() < 0 || input.producerOutput() >= producer.outputCount()) {
        throw new IllegalArgumentException(
            "Stage " + stage.id() + " reads output " + input.producerOutput() + " of "
                + producer.id() + ", which has " + producer.outputCount());
      }
      if (input.kind() == EdgeKind.FORWARD && producer.parallelism() != stage.parallelism()) {
        throw new IllegalArgumentException(
            "Forward edge " + producer.id() + " -> " + stage.id() + " joins parallelism "
                + producer.parallelism() + " to " + stage.parallelism());
      }
      consumers.get(producer.id()).get(input.producerOutput())
          .add(new Consumer(stage, i, input.kind()));
    }
    stages.put(stage.id(), stage);
    List<List<Consumer>> outputs = new ArrayList<>();
    for (int o = 0; o < stage.outputCount(); o++) {
      outputs.add(new ArrayList<>());
    }
    consumers.put(stage.id(), outputs);
    return this;
  }

  public List<StageSpec> stages() {
    return List.copyOf(stages.values());
  }

  public StageSpec stage(String id) {
    return stages.get(id);
  }

  /** The consumers of each output of stage {@code id}. */
  public List<List<Consumer>> consumers(String id) {
    return consumers.get(id);
  }

  /**
   * Every rStream of the job: its id and its producer's vertex id ({@code stage#partition}), in
   * stage order. A forward edge joins equal partitions; other edges join every pair.
   */
  public Map<String, String> streamProducers() {
    Map<String, String> producers = new LinkedHashMap<>();
    for (StageSpec consumer : stages.values()) {
      for (int i = 0; i < consumer.inputs().size(); i++) {
        InputSpec input = consumer.inputs().get(i);
        StageSpec producer = stages.get(input.producerStage());
        for (int from = 0; from < producer.parallelism(); from++) {
          for (int to = 0; to < consumer.parallelism(); to++) {
            if (input.kind() != EdgeKind.FORWARD || from == to) {
              producers.put(
                  streamId(producer.id(), input.producerOutput(), from, consumer.id(), i, to),
                  producer.id() + "#" + from);
            }
          }
        }
      }
    }
    return producers;
  }

  /** Id of the rStream from partition {@code from} of a producer output to a consumer partition. */
  public static String streamId(
      String producer, int output, int from, String consumer, int input, int to) {
    return producer + "/out" + output + "/p" + from + "->" + consumer + "/in" + input + "/p" + to;
  }

  /** The stage of a vertex id {@code stage#partition}. */
  public static String stageOf(String vertexId) {
    return vertexId.substring(0, vertexId.lastIndexOf('#'));
  }
}
