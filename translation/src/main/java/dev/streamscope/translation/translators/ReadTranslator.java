package dev.streamscope.translation.translators;

import dev.streamscope.translation.TransformTranslator;
import dev.streamscope.translation.TranslationContext;
import dev.streamscope.translation.runtime.steps.BoundedReadStep;
import dev.streamscope.translation.runtime.steps.UnboundedReadStep;
import java.io.Closeable;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.io.BoundedSource;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.metrics.MetricsEnvironment;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.util.construction.SplittableParDo;

/**
 * {@code beam:transform:read:v1} (primitive bounded and unbounded reads, after Beam's read
 * conversion): the source is split once here, and partition p reads splits p, p + n, p + 2n...
 */
public final class ReadTranslator implements TransformTranslator {
  private static final long DEFAULT_BUNDLE_BYTES = 64L << 20;

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public void translate(TranslationContext context) throws Exception {
    PTransform<?, ?> transform = context.node().getTransform();
    String name = context.stepName();
    // Splitting runs the source's code: metrics it reports count as the step's.
    try (Closeable ignored =
        MetricsEnvironment.scopedMetricsContainer(context.stages().translationMetrics(name))) {
      translate(context, transform, name);
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static void translate(TranslationContext context, PTransform<?, ?> transform, String name)
      throws Exception {
    if (transform instanceof SplittableParDo.PrimitiveBoundedRead) {
      BoundedSource<Object> source = ((SplittableParDo.PrimitiveBoundedRead) transform).getSource();
      List<? extends BoundedSource<Object>> splits =
          source.split(desiredBundleBytes(source, context), context.options());
      List<List<BoundedSource<Object>>> shares = deal(splits, context.parallelism());
      context
          .stages()
          .source(
              name,
              shares.size(),
              partition -> new BoundedReadStep<>(name, shares.get(partition)),
              context.outputList());
    } else if (transform instanceof SplittableParDo.PrimitiveUnboundedRead) {
      UnboundedSource<Object, ?> source =
          ((SplittableParDo.PrimitiveUnboundedRead) transform).getSource();
      List<? extends UnboundedSource<Object, ?>> splits =
          source.split(context.parallelism(), context.options());
      List<List<UnboundedSource<Object, ?>>> shares = deal(splits, context.parallelism());
      context
          .stages()
          .source(
              name,
              shares.size(),
              partition -> new UnboundedReadStep<>(name, shares.get(partition)),
              context.outputList());
    } else {
      throw new IllegalStateException(
          name + ": a read URN on " + transform.getClass().getName()
              + "; expected a primitive read after Beam's read conversion");
    }
  }

  private static long desiredBundleBytes(BoundedSource<?> source, TranslationContext context) {
    try {
      long estimate = source.getEstimatedSizeBytes(context.options());
      return estimate > 0 ? Math.max(1, estimate / context.parallelism()) : DEFAULT_BUNDLE_BYTES;
    } catch (Exception e) {
      return DEFAULT_BUNDLE_BYTES; // No estimate: let the source pick its own split size.
    }
  }

  /** Deals {@code splits} round-robin over at most {@code parallelism} non-empty shares. */
  private static <S> List<List<S>> deal(List<? extends S> splits, int parallelism) {
    int shareCount = Math.max(1, Math.min(parallelism, splits.size()));
    List<List<S>> shares = new ArrayList<>();
    for (int i = 0; i < shareCount; i++) {
      shares.add(new ArrayList<>());
    }
    for (int i = 0; i < splits.size(); i++) {
      shares.get(i % shareCount).add(splits.get(i));
    }
    return shares;
  }
}
