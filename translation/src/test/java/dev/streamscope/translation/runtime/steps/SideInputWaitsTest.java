package dev.streamscope.translation.runtime.steps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.CrashingRunner;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * Elements released together once a side input is ready go one by one while nothing asks to
 * yield, and stop after each one once something does (a bundle finalization callback waiting for
 * a commit), holding the watermark and staying in snapshots until all were processed.
 */
class SideInputWaitsTest {
  private static final Coder<WindowedValue<Long>> CODER =
      WindowedValues.getFullCoder(VarLongCoder.of(), GlobalWindow.Coder.INSTANCE);

  private final List<Long> processed = new ArrayList<>();
  private boolean yieldNow;

  private static SideInputStore store() {
    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(CrashingRunner.class);
    Pipeline p = Pipeline.create(options);
    PCollectionView<List<Long>> view = p.apply(Create.of(1L)).apply(View.asList());
    return new SideInputStore(List.of(view));
  }

  private SideInputWaits<Long> waits() {
    return new SideInputWaits<>(
        store(), element -> processed.add(element.getValue()), () -> yieldNow);
  }

  private static WindowedValue<Long> at(long millis) {
    return WindowedValues.timestampedValueInGlobalWindow(millis, new Instant(millis));
  }

  private static void offerThree(SideInputWaits<Long> waits) throws Exception {
    waits.offer(at(30));
    waits.offer(at(10));
    waits.offer(at(20));
  }

  @Test
  void releasedElementsAllGoWhileNothingAsksToYield() throws Exception {
    SideInputWaits<Long> waits = waits();
    offerThree(waits);
    assertEquals(List.of(), processed);
    assertEquals(10, waits.holdMillis());

    waits.advanceSideInputWatermark(0, Long.MAX_VALUE);

    assertEquals(List.of(30L, 10L, 20L), processed);
    assertFalse(waits.released());
    assertEquals(Long.MAX_VALUE, waits.holdMillis());
  }

  @Test
  void aReleaseAskedToYieldStopsAfterEachElementAndHoldsTheWatermark() throws Exception {
    SideInputWaits<Long> waits = waits();
    offerThree(waits);
    yieldNow = true;

    waits.advanceSideInputWatermark(0, Long.MAX_VALUE);
    assertEquals(List.of(30L), processed);
    assertTrue(waits.released());
    assertEquals(10, waits.holdMillis());

    waits.continueRelease();
    assertEquals(List.of(30L, 10L), processed);
    assertTrue(waits.released());

    yieldNow = false;
    waits.continueRelease();
    assertEquals(List.of(30L, 10L, 20L), processed);
    assertFalse(waits.released());
    assertEquals(Long.MAX_VALUE, waits.holdMillis());
    waits.checkNoneWaiting("step"); // Throws if any is left.
  }

  @Test
  void aSnapshotHoldsTheElementsReleasedButNotProcessed() throws Exception {
    SideInputWaits<Long> waits = waits();
    offerThree(waits);
    yieldNow = true;
    waits.advanceSideInputWatermark(0, Long.MAX_VALUE);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    waits.snapshot(new DataOutputStream(bytes), CODER);

    processed.clear();
    yieldNow = false;
    SideInputWaits<Long> restored = waits();
    restored.restore(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())), CODER);
    assertTrue(restored.released());
    assertEquals(10, restored.holdMillis());
    restored.continueRelease();

    assertEquals(List.of(10L, 20L), processed);
    assertFalse(restored.released());
  }
}
