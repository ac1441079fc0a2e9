package dev.streamscope.translation.runtime.steps;

import dev.streamscope.translation.runtime.BundleFinalization;
import dev.streamscope.translation.runtime.Step;
import java.io.DataOutputStream;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.DoFnSchemaInformation;
import org.apache.beam.sdk.transforms.reflect.DoFnInvoker;
import org.apache.beam.sdk.transforms.reflect.DoFnInvokers;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.util.SerializableUtils;
import org.apache.beam.sdk.util.WindowedValueMultiReceiver;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;
import org.apache.beam.sdk.values.WindowingStrategy;

/** What every ParDo step shares: its own copy of the DoFn, its lifecycle, and output routing. */
public abstract class DoFnStep<InputT, OutputT> extends Step {
  /** Everything translation knows about one ParDo. */
  public record Spec<InputT, OutputT>(
      DoFn<InputT, OutputT> doFn,
      TupleTag<OutputT> mainOutputTag,
      List<TupleTag<?>> outputTags,
      Coder<InputT> inputCoder,
      Map<TupleTag<?>, Coder<?>> outputCoders,
      WindowingStrategy<?, ?> windowingStrategy,
      List<PCollectionView<?>> sideInputs,
      Map<String, PCollectionView<?>> sideInputMapping,
      DoFnSchemaInformation schemaInformation) {}

  protected final Spec<InputT, OutputT> spec;
  /** The DoFn's bundle finalizer: callbacks run once a bundle finished ({@link #bundleFinished}). */
  protected final BundleFinalization bundleFinalization = new BundleFinalization();
  protected DoFn<InputT, OutputT> doFn;
  private DoFnInvoker<InputT, OutputT> invoker;

  DoFnStep(String name, Spec<InputT, OutputT> spec) {
    super(name);
    this.spec = spec;
  }

  /** The output tags other than the main one, as runners-core wants them. */
  protected List<TupleTag<?>> additionalOutputTags() {
    return spec.outputTags().stream().filter(tag -> !tag.equals(spec.mainOutputTag())).toList();
  }

  protected WindowedValueMultiReceiver outputManager() {
    List<TupleTag<?>> tags = spec.outputTags();
    return new WindowedValueMultiReceiver() {
      @Override
      public <T> void output(TupleTag<T> tag, WindowedValue<T> element) {
        int index = tags.indexOf(tag);
        if (index < 0) {
          throw new IllegalArgumentException(name() + " has no output " + tag);
        }
        try {
          DoFnStep.this.output(index, element);
        } catch (RuntimeException e) {
          throw e;
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      }
    };
  }

  @Override
  @SuppressWarnings("unchecked")
  protected void open() throws Exception {
    doFn = SerializableUtils.clone(spec.doFn());
    invoker = DoFnInvokers.tryInvokeSetupFor(doFn, options());
  }

  /** The coder of the windows the main input (and so state and timer namespaces) live in. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  protected Coder<BoundedWindow> windowCoder() {
    return (Coder) spec.windowingStrategy().getWindowFn().windowCoder();
  }

  /** The coder of one main-input element (what waits for side inputs). */
  @SuppressWarnings({"unchecked", "rawtypes"})
  protected Coder<WindowedValue<InputT>> mainInputCoder() {
    return (Coder) WindowedValues.getFullCoder(spec.inputCoder(), windowCoder());
  }

  /**
   * Nothing of the DoFn itself: Beam keeps a DoFn's fields out of its state, and a fresh instance
   * is set up on open. Finalization callbacks run at the end of each bundle, so none is pending.
   */
  @Override
  protected void snapshot(DataOutputStream out) throws Exception {
    bundleFinalization.checkNonePending(name());
  }

  /** Call after the runner finished a bundle: the bundle's finalization callbacks run. */
  protected final void bundleFinished() throws Exception {
    bundleFinalization.bundleCommitted(runtime().nowMillis());
  }

  @Override
  protected void close() throws Exception {
    if (invoker != null) {
      invoker.invokeTeardown();
      invoker = null;
    }
  }
}
