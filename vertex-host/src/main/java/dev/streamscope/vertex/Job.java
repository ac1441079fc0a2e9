package dev.streamscope.vertex;

import dev.streamscope.rstream.RStream;
import dev.streamscope.rstream.RStreamStore;
import dev.streamscope.vertex.graph.EdgeKind;
import dev.streamscope.vertex.graph.InputSpec;
import dev.streamscope.vertex.graph.JobGraph;
import dev.streamscope.vertex.graph.StageSpec;
import dev.streamscope.vertex.seams.VertexLauncher;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A running job: one {@link VertexInstance} per partition of every stage, joined by one rStream
 * per (producer partition, consumer partition) pair of each edge, so every stream has exactly one
 * writer and one reader.
 *
 * <p>The job finishes when every vertex finished; it fails as soon as one vertex fails, and then
 * cancels the others.
 */
public final class Job {
  private final CompletableFuture<Void> completion = new CompletableFuture<>();
  private final List<VertexInstance> vertices = new ArrayList<>();
  private final ConcurrentLinkedQueue<VertexLauncher.Launched> launched =
      new ConcurrentLinkedQueue<>();
  private final AtomicInteger running = new AtomicInteger();

  private Job() {}

  /** Wires {@code graph} over {@code streams} and launches every vertex instance. */
  public static Job start(
      JobGraph graph, RStreamStore streams, VertexLauncher launcher, VertexConfig config) {
    Job job = new Job();
    for (StageSpec stage : graph.stages()) {
      for (int p = 0; p < stage.parallelism(); p++) {
        job.vertices.add(job.wire(graph, stage, p, streams, launcher, config));
      }
    }
    job.running.set(job.vertices.size());
    for (VertexInstance vertex : job.vertices) {
      launcher
          .launch(vertex.vertexId(), executor -> () -> vertex.start(executor))
          .whenComplete(
              (handle, error) -> {
                if (error != null) {
                  job.onVertexDone(vertex, error);
                } else {
                  job.launched.add(handle);
                }
              });
    }
    return job;
  }

  private VertexInstance wire(
      JobGraph graph,
      StageSpec stage,
      int partition,
      RStreamStore streams,
      VertexLauncher launcher,
      VertexConfig config) {
    List<InputMerger.Channel> channels = new ArrayList<>();
    for (int i = 0; i < stage.inputs().size(); i++) {
      InputSpec input = stage.inputs().get(i);
      StageSpec producer = graph.stage(input.producerStage());
      List<Integer> fromPartitions = new ArrayList<>();
      if (input.kind() == EdgeKind.FORWARD) {
        fromPartitions.add(partition);
      } else {
        for (int from = 0; from < producer.parallelism(); from++) {
          fromPartitions.add(from);
        }
      }
      for (int from : fromPartitions) {
        String id =
            JobGraph.streamId(
                producer.id(), input.producerOutput(), from, stage.id(), i, partition);
        channels.add(new InputMerger.Channel(streams.open(id, producer.id() + "#" + from), i));
      }
    }
    List<List<OutputRouter.Target>> targets = new ArrayList<>();
    List<List<JobGraph.Consumer>> consumersByOutput = graph.consumers(stage.id());
    for (int o = 0; o < stage.outputCount(); o++) {
      List<OutputRouter.Target> outputTargets = new ArrayList<>();
      for (JobGraph.Consumer consumer : consumersByOutput.get(o)) {
        RStream[] consumerStreams = new RStream[consumer.stage().parallelism()];
        for (int to = 0; to < consumerStreams.length; to++) {
          if (consumer.kind() == EdgeKind.FORWARD && to != partition) {
            continue;
          }
          String id =
              JobGraph.streamId(stage.id(), o, partition, consumer.stage().id(), consumer.input(), to);
          consumerStreams[to] = streams.open(id, stage.id() + "#" + partition);
        }
        outputTargets.add(new OutputRouter.Target(consumer.kind(), consumerStreams));
      }
      targets.add(outputTargets);
    }
    return new VertexInstance(
        stage.id(),
        partition,
        stage.parallelism(),
        stage.operatorFactory().apply(partition),
        new InputMerger(channels, stage.inputs().size()),
        new OutputRouter(targets, partition),
        config,
        this::onVertexDone);
  }

  private void onVertexDone(VertexInstance vertex, Throwable error) {
    if (error != null) {
      if (completion.completeExceptionally(
          new VertexFailedException(vertex.vertexId(), error))) {
        cancelVertices();
      }
    } else if (running.decrementAndGet() == 0) {
      completion.complete(null);
    }
  }

  /** Completes when every vertex finished; exceptionally with the first vertex failure. */
  public CompletableFuture<Void> completion() {
    return completion;
  }

  /** Stops every vertex; {@link #completion()} completes with a {@link java.util.concurrent.CancellationException}. */
  public void cancel() {
    if (completion.cancel(false)) {
      cancelVertices();
    }
  }

  private void cancelVertices() {
    for (VertexInstance vertex : vertices) {
      vertex.cancel();
    }
  }

  /** Undeploys every vertex (after the job ended). */
  public CompletableFuture<Void> stop() {
    List<CompletableFuture<Void>> stops = new ArrayList<>();
    for (VertexLauncher.Launched handle : launched) {
      stops.add(handle.stop().toCompletableFuture());
    }
    return CompletableFuture.allOf(stops.toArray(new CompletableFuture[0]));
  }
}
