package dev.streamscope.translation.translators;

import dev.streamscope.translation.TranslationContext;
import dev.streamscope.translation.runtime.steps.LimitedUnboundedReadStep;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.io.BoundedReadFromUnboundedSource;
import org.apache.beam.sdk.io.UnboundedSource;
import org.joda.time.Duration;

/**
 * {@code Read.from(unboundedSource).withMaxNumRecords(n)} (and {@code withMaxReadTime}): Beam
 * expands it into a DoFn that reads each shard to its end inside one call, so one element could
 * make millions. Translated instead as a source stage that splits the source exactly like Beam's
 * expansion (same shards, same record budgets, so the same elements) and reads it bundle by
 * bundle. Sources that need de-duplication keep Beam's expansion.
 *
 * <p>The transform exposes its source and limits only as private fields; they are read
 * reflectively (Beam 2.73), and any surprise falls back to the expansion.
 */
public final class BoundedUnboundedReadTranslator {
  private static final int MAX_SPLITS = 100;
  private static final long RECORDS_PER_SPLIT = 10_000;

  private BoundedUnboundedReadTranslator() {}

  /** Translates {@code context}'s transform and returns true, or false to have it expanded. */
  @SuppressWarnings("unchecked")
  public static boolean tryTranslate(TranslationContext context) throws Exception {
    if (!(context.node().getTransform() instanceof BoundedReadFromUnboundedSource)) {
      return false;
    }
    Object transform = context.node().getTransform();
    UnboundedSource<Object, ?> source;
    long maxRecords;
    Duration maxReadTime;
    try {
      source = (UnboundedSource<Object, ?>) field(transform, "source");
      maxRecords = (Long) field(transform, "maxNumRecords");
      maxReadTime = (Duration) field(transform, "maxReadTime");
    } catch (ReflectiveOperationException | RuntimeException e) {
      return false;
    }
    if (source.requiresDeduping()) {
      return false;
    }
    // As BoundedReadFromUnboundedSource.SplitFn: split count from the record budget alone.
    int desiredSplits = (int) Math.min(MAX_SPLITS, maxRecords / RECORDS_PER_SPLIT + 1);
    List<? extends UnboundedSource<Object, ?>> splits = source.split(desiredSplits, context.options());
    List<List<LimitedUnboundedReadStep.Shard<Object>>> shares = new ArrayList<>();
    int shareCount = Math.max(1, Math.min(context.parallelism(), splits.size()));
    for (int i = 0; i < shareCount; i++) {
      shares.add(new ArrayList<>());
    }
    for (int i = 0; i < splits.size(); i++) {
      long records = maxRecords / splits.size() + (i < maxRecords % splits.size() ? 1 : 0);
      shares.get(i % shareCount).add(new LimitedUnboundedReadStep.Shard<>(splits.get(i), records, maxReadTime));
    }
    String name = context.stepName();
    context
        .stages()
        .source(
            name,
            shareCount,
            partition -> new LimitedUnboundedReadStep<>(name, shares.get(partition)),
            context.outputList());
    if (maxReadTime != null) {
      context.stages().markNondeterministic(name, "reads for a time limit on the wall clock");
    }
    return true;
  }

  private static Object field(Object transform, String name) throws ReflectiveOperationException {
    Field field = BoundedReadFromUnboundedSource.class.getDeclaredField(name);
    field.setAccessible(true);
    return field.get(transform);
  }
}
