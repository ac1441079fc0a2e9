package dev.streamscope.translation.runtime.steps;

import java.util.List;
import org.apache.beam.sdk.coders.CannotProvideCoderException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.transforms.Combine.CombineFn;

/**
 * The consumer-side half of a lifted Combine.perKey: its inputs are partial accumulators, merged
 * into the pane's accumulator; the output is the original CombineFn's.
 */
public final class MergeAccumulatorsFn<AccumT, OutputT> extends CombineFn<AccumT, AccumT, OutputT> {
  private final CombineFn<?, AccumT, OutputT> combineFn;
  private final Coder<AccumT> accumulatorCoder;

  public MergeAccumulatorsFn(CombineFn<?, AccumT, OutputT> combineFn, Coder<AccumT> accumulatorCoder) {
    this.combineFn = combineFn;
    this.accumulatorCoder = accumulatorCoder;
  }

  @Override
  public AccumT createAccumulator() {
    return combineFn.createAccumulator();
  }

  @Override
  public AccumT addInput(AccumT accumulator, AccumT partial) {
    return combineFn.mergeAccumulators(List.of(accumulator, partial));
  }

  @Override
  public AccumT mergeAccumulators(Iterable<AccumT> accumulators) {
    return combineFn.mergeAccumulators(accumulators);
  }

  @Override
  public OutputT extractOutput(AccumT accumulator) {
    return combineFn.extractOutput(accumulator);
  }

  @Override
  public Coder<AccumT> getAccumulatorCoder(CoderRegistry registry, Coder<AccumT> inputCoder)
      throws CannotProvideCoderException {
    return accumulatorCoder;
  }
}
