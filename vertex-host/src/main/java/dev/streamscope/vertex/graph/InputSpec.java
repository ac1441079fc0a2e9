package dev.streamscope.vertex.graph;

/** Logical input of a stage: output {@code producerOutput} of stage {@code producerStage}. */
public record InputSpec(String producerStage, int producerOutput, EdgeKind kind) {}
