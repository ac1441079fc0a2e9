package dev.streamscope.translation.overrides;

import dev.streamscope.translation.runtime.ByteKey;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.io.ShardingFunction;
import org.apache.beam.sdk.io.WriteFiles;
import org.apache.beam.sdk.io.WriteFilesResult;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.runners.PTransformOverride;
import org.apache.beam.sdk.runners.PTransformOverrideFactory;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.util.construction.PTransformReplacements;
import org.apache.beam.sdk.util.construction.ReplacementOutputs;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.ShardedKey;
import org.apache.beam.sdk.values.TupleTag;

/**
 * WriteFiles with a fixed number of shards deals elements to shards starting from a random shard
 * (Beam's default sharding function), so a replay would put elements in other files. This
 * override gives it a sharding function that starts at shard 0: the same elements in the same
 * order land in the same shards, on every run and every replay.
 */
public final class DeterministicShardingOverride {
  private DeterministicShardingOverride() {}

  /** The override for {@link org.apache.beam.sdk.Pipeline#replaceAll}. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public static PTransformOverride override() {
    return PTransformOverride.of(
        application ->
            application.getTransform() instanceof WriteFiles
                && ((WriteFiles<?, ?, ?>) application.getTransform()).getShardingFunction() == null
                && ((WriteFiles<?, ?, ?>) application.getTransform()).getNumShardsProvider() != null,
        (PTransformOverrideFactory) new Factory<>());
  }

  private static final class Factory<UserT, DestinationT, OutputT>
      implements PTransformOverrideFactory<
          PCollection<UserT>, WriteFilesResult<DestinationT>, WriteFiles<UserT, DestinationT, OutputT>> {
    @Override
    public PTransformReplacement<PCollection<UserT>, WriteFilesResult<DestinationT>>
        getReplacementTransform(
            AppliedPTransform<
                    PCollection<UserT>, WriteFilesResult<DestinationT>, WriteFiles<UserT, DestinationT, OutputT>>
                transform) {
      WriteFiles<UserT, DestinationT, OutputT> original = transform.getTransform();
      Coder<DestinationT> destinationCoder =
          original.getSink().getDynamicDestinations().getDestinationCoder();
      return PTransformReplacement.of(
          PTransformReplacements.getSingletonMainInput(transform),
          original.withShardingFunction(new RoundRobinSharding<>(destinationCoder)));
    }

    @Override
    public Map<PCollection<?>, ReplacementOutput> mapOutputs(
        Map<TupleTag<?>, PCollection<?>> outputs, WriteFilesResult<DestinationT> newOutput) {
      return ReplacementOutputs.tagged(outputs, newOutput);
    }
  }

  /** Shards 0, 1, 2... in element order, keyed by the destination's encoded bytes. */
  private static final class RoundRobinSharding<UserT, DestinationT>
      implements ShardingFunction<UserT, DestinationT> {
    private final Coder<DestinationT> destinationCoder; // May be null: see assignShardKey.
    private int nextShard;

    RoundRobinSharding(Coder<DestinationT> destinationCoder) {
      this.destinationCoder = destinationCoder;
    }

    @Override
    public ShardedKey<Integer> assignShardKey(DestinationT destination, UserT element, int shardCount)
        throws Exception {
      int shard = nextShard;
      nextShard = (nextShard + 1) % shardCount;
      // The key groups a destination's shards; without a coder, a value-based hash will do.
      int key =
          destinationCoder == null
              ? java.util.Objects.hashCode(destination)
              : ByteKey.hashOf(CoderUtils.encodeToByteArray(destinationCoder, destination));
      return ShardedKey.of(key, shard);
    }
  }
}
