package dev.streamscope.translation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.testing.CrashingRunner;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;
import org.junit.jupiter.api.Test;

/** List views are indexed without Beam's random offsets, which a replay would redraw. */
class DeterministicListViewOverrideTest {
  @Test
  void everyRandomAccessListViewIsIndexedByTheCountingDoFn() {
    // Translated only, never run: any runner class will do.
    Pipeline p =
        Pipeline.create(
            PipelineOptionsFactory.fromArgs("--runner=" + CrashingRunner.class.getName()).create());
    PCollection<Integer> numbers = p.apply(Create.of(1, 2, 3));
    numbers.apply("Explicit", View.<Integer>asList().withRandomAccess());
    numbers
        .apply(Window.into(FixedWindows.of(Duration.standardSeconds(1))))
        .apply("Windowed", View.asList()); // Not in the global window: random access too.
    PipelineTranslator.translate(p, 2);

    List<String> indexingFns = new ArrayList<>();
    p.traverseTopologically(
        new Pipeline.PipelineVisitor.Defaults() {
          @Override
          public void visitPrimitiveTransform(TransformHierarchy.Node node) {
            if (node.getTransform() instanceof ParDo.MultiOutput) {
              Object fn = ((ParDo.MultiOutput<?, ?>) node.getTransform()).getFn();
              if (fn instanceof View.ToListViewDoFn
                  || fn.getClass().getSimpleName().equals("CountingToListViewDoFn")) {
                indexingFns.add(fn.getClass().getSimpleName());
              }
            }
          }
        });
    assertEquals(List.of("CountingToListViewDoFn", "CountingToListViewDoFn"), indexingFns);
  }
}
