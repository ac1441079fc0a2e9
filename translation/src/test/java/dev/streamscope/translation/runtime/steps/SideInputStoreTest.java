package dev.streamscope.translation.runtime.steps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.CrashingRunner;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.windowing.AfterProcessingTime;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.Repeatedly;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.WindowedValues;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

class SideInputStoreTest {
  private static PaneInfo pane(long index) {
    return PaneInfo.createPane(index == 0, false, PaneInfo.Timing.EARLY, index, -1);
  }

  /** A pipeline that is only built, never run. */
  private static Pipeline pipeline() {
    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(CrashingRunner.class);
    return Pipeline.create(options);
  }

  private static PCollection<Long> numbers(Pipeline p) {
    return p.apply(Create.of(1L, 2L));
  }

  @Test
  void aViewIsReadyOnlyOnceItsWatermarkPassedTheWindow() {
    Pipeline p = pipeline();
    PCollectionView<List<Long>> view = numbers(p).apply(View.asList());
    SideInputStore store = new SideInputStore(List.of(view));
    store.add(0, WindowedValues.valueInGlobalWindow(1L));
    assertFalse(store.isReady(view, GlobalWindow.INSTANCE));
    store.add(0, WindowedValues.valueInGlobalWindow(2L));
    store.advanceWatermark(0, Long.MAX_VALUE);
    assertTrue(store.isReady(view, GlobalWindow.INSTANCE));
    assertEquals(List.of(1L, 2L), store.get(view, GlobalWindow.INSTANCE));
  }

  /** A triggered view holds its latest pane and is readable as soon as it has one. */
  @Test
  void aTriggeredViewHoldsItsLatestPane() {
    Pipeline p = pipeline();
    PCollectionView<List<Long>> view =
        numbers(p)
            .apply(
                Window.<Long>configure()
                    .triggering(Repeatedly.forever(AfterProcessingTime.pastFirstElementInPane()))
                    .withAllowedLateness(Duration.ZERO)
                    .discardingFiredPanes())
            .apply(View.asList());
    SideInputStore store = new SideInputStore(List.of(view));
    assertTrue(store.isTriggered(0));
    assertFalse(store.isReady(view, GlobalWindow.INSTANCE));
    Instant t = new Instant(0);
    store.add(0, WindowedValues.of(1L, t, GlobalWindow.INSTANCE, pane(0)));
    assertTrue(store.isReady(view, GlobalWindow.INSTANCE));
    assertEquals(List.of(1L), store.get(view, GlobalWindow.INSTANCE));
    store.add(0, WindowedValues.of(2L, t, GlobalWindow.INSTANCE, pane(2)));
    store.add(0, WindowedValues.of(3L, t, GlobalWindow.INSTANCE, pane(2)));
    store.add(0, WindowedValues.of(9L, t, GlobalWindow.INSTANCE, pane(1))); // stale: dropped
    assertEquals(List.of(2L, 3L), store.get(view, GlobalWindow.INSTANCE));
  }
}
