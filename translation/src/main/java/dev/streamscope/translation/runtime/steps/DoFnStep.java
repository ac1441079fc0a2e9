package dev.streamscope.translation.runtime.steps;

import dev.streamscope.translation.runtime.BundleFinalization;
import dev.streamscope.translation.runtime.Step;
import java.io.DataInputStream;
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
  /** The DoFn's bundle finalizer: callbacks run once a snapshot after their bundle is stable. */
  protected final BundleFinalization bundleFinalization;
  protected DoFn<InputT, OutputT> doFn;
  private DoFnInvoker<InputT, OutputT> invoker;

  DoFnStep(String name, Spec<InputT, OutputT> spec) {
    super(name);
    this.spec = spec;
    this.bundleFinalization = new BundleFinalization(name);
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
   * is set up on open. Bundle finalization callbacks registered so far cannot be saved: they wait
   * for this snapshot to be stable (see {@link BundleFinalization}).
   */
  @Override
  protected void snapshot(DataOutputStream out) throws Exception {
    bundleFinalization.snapshotTaken(snapshotVersion());
  }

  @Override
  protected void restore(DataInputStream in) throws Exception {
    bundleFinalization.restored();
  }

  /** Runs the finalization callbacks of the bundles the stable snapshots cover. */
  @Override
  protected void stableUpTo(long snapshotVersion) throws Exception {
    bundleFinalization.stableUpTo(snapshotVersion, runtime().nowMillis());
  }

  @Override
  protected boolean finalizationPending() {
    return bundleFinalization.awaitsSnapshot();
  }

  @Override
  protected void close() throws Exception {
    bundleFinalization.closed(); // Callbacks since the last snapshot wait for the end.
    if (invoker != null) {
      invoker.invokeTeardown();
      invoker = null;
    }
  }
}
