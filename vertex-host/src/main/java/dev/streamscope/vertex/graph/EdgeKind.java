package dev.streamscope.vertex.graph;

/** How the partitions of a producer stage feed the partitions of a consumer stage. */
public enum EdgeKind {
  /** Partition i feeds partition i; both stages have the same parallelism. */
  FORWARD,
  /** Every producer partition feeds the consumer partition {@code floorMod(keyHash, n)}. */
  HASH,
  /** Every producer partition feeds every consumer partition a copy (side inputs). */
  BROADCAST,
  /** Every producer partition deals its elements round-robin over the consumer partitions. */
  REBALANCE
}
