package dev.streamscope.translation;

import java.util.Set;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.reflect.DoFnSignature;
import org.apache.beam.sdk.transforms.reflect.DoFnSignatures;
import org.apache.beam.sdk.transforms.windowing.AfterProcessingTime;
import org.apache.beam.sdk.transforms.windowing.AfterSynchronizedProcessingTime;
import org.apache.beam.sdk.transforms.windowing.Trigger;
import org.apache.beam.sdk.util.construction.PTransformTranslation;
import org.apache.beam.sdk.util.construction.SplittableParDo;
import org.apache.beam.sdk.values.PCollection;

/**
 * Finds the primitive steps whose replay could write other output than the run before it, and
 * marks their stages nondeterministic ({@link StageGraphBuilder}): their vertices then persist
 * their outputs before exposing them (strong productions), so a replay never contradicts what
 * readers saw.
 *
 * <ul>
 *   <li>WriteFiles' temporary-file writers: they name files with random UUIDs (and deal spilled
 *       records to random shards);
 *   <li>a ParDo whose DoFn is {@code @RequiresStableInput}: it acts on the outside world and may
 *       answer differently when run again (its input, read from an rStream, is stable: see {@link
 *       dev.streamscope.translation.translators.ParDoTranslator});
 *   <li>a DoFn (splittable or not) with a {@code BundleFinalizer}: it acknowledges to the outside
 *       world what it read once its outputs are committed, so a replay may read something else.
 *       Its stage then also commits every epoch that wrote something with a snapshot, and its
 *       callbacks run once that snapshot is written, before the next epoch, as Dataflow runs them
 *       after a bundle's commit (see {@link
 *       dev.streamscope.translation.runtime.BundleFinalization});
 *   <li>while processing time is the wall clock: DoFns with processing-time timers, GroupByKeys
 *       whose trigger fires on processing time, and splittable DoFns, whose checkpointed
 *       restrictions resume on processing-time timers (when those fire decides where their output
 *       falls among the epochs).
 * </ul>
 *
 * <p>What no translation can see (a DoFn drawing random numbers, reading a clock or an outside
 * system; an unbounded source whose replay reads other data) the user names: the runner's {@code
 * --nondeterministicSteps}.
 */
public final class NondeterministicSteps {
  /** Beam's DoFns that write temporary files under random names (WriteFiles, Beam 2.73). */
  private static final Set<String> RANDOM_FILE_WRITERS =
      Set.of(
          "org.apache.beam.sdk.io.WriteFiles$WriteUnshardedTempFilesFn",
          "org.apache.beam.sdk.io.WriteFiles$WriteShardsIntoTempFilesFn");

  private static final String BUNDLE_FINALIZER =
      "finalizes bundles (DoFn.BundleFinalizer): it acknowledges what it read to the outside world";

  private NondeterministicSteps() {}

  /** Marks the stage of {@code node}, a primitive translated into {@code stages}, if need be. */
  static void mark(TransformHierarchy.Node node, StageGraphBuilder stages) {
    String step = node.getFullName();
    String urn = PTransformTranslation.urnForTransformOrNull(node.getTransform());
    if (node.getTransform() instanceof ParDo.MultiOutput) {
      DoFn<?, ?> doFn = ((ParDo.MultiOutput<?, ?>) node.getTransform()).getFn();
      if (RANDOM_FILE_WRITERS.contains(doFn.getClass().getName())) {
        stages.markNondeterministic(step, "names its temporary files with random UUIDs");
      } else if (requiresStableInput(doFn)) {
        stages.markNondeterministic(step, "requires stable input (@RequiresStableInput)");
      } else if (DoFnSignatures.usesBundleFinalizer(doFn)) {
        stages.markNondeterministic(step, BUNDLE_FINALIZER);
      }
      if (hasProcessingTimeTimers(doFn)) {
        stages.markWallClockDependent(step, "sets processing-time timers");
      }
    } else if (PTransformTranslation.GROUP_BY_KEY_TRANSFORM_URN.equals(urn)) {
      for (PCollection<?> input : node.getInputs().values()) {
        if (firesOnProcessingTime(input.getWindowingStrategy().getTrigger())) {
          stages.markWallClockDependent(step, "has a trigger that fires on processing time");
        }
      }
    } else if (PTransformTranslation.SPLITTABLE_PROCESS_KEYED_URN.equals(urn)) {
      DoFn<?, ?> doFn = ((SplittableParDo.ProcessKeyedElements<?, ?, ?, ?>) node.getTransform()).getFn();
      if (DoFnSignatures.usesBundleFinalizer(doFn)) {
        stages.markNondeterministic(step, BUNDLE_FINALIZER);
      }
      stages.markWallClockDependent(
          step, "resumes checkpointed restrictions of a splittable DoFn by processing-time timers");
    }
  }

  /** True if {@code doFn}'s element processing is {@code @RequiresStableInput}. */
  public static boolean requiresStableInput(DoFn<?, ?> doFn) {
    DoFnSignature.ProcessElementMethod process = DoFnSignatures.signatureForDoFn(doFn).processElement();
    return process != null && process.requiresStableInput();
  }

  private static boolean hasProcessingTimeTimers(DoFn<?, ?> doFn) {
    DoFnSignature signature = DoFnSignatures.signatureForDoFn(doFn);
    for (DoFnSignature.TimerDeclaration timer : signature.timerDeclarations().values()) {
      if (isProcessingTime(DoFnSignatures.getTimerSpecOrThrow(timer, doFn).getTimeDomain())) {
        return true;
      }
    }
    for (DoFnSignature.TimerFamilyDeclaration family : signature.timerFamilyDeclarations().values()) {
      if (isProcessingTime(DoFnSignatures.getTimerFamilySpecOrThrow(family, doFn).getTimeDomain())) {
        return true;
      }
    }
    return false;
  }

  private static boolean isProcessingTime(TimeDomain domain) {
    return domain == TimeDomain.PROCESSING_TIME || domain == TimeDomain.SYNCHRONIZED_PROCESSING_TIME;
  }

  private static boolean firesOnProcessingTime(Trigger trigger) {
    if (trigger instanceof AfterProcessingTime || trigger instanceof AfterSynchronizedProcessingTime) {
      return true;
    }
    for (Trigger sub : trigger.subTriggers()) {
      if (firesOnProcessingTime(sub)) {
        return true;
      }
    }
    return false;
  }
}
