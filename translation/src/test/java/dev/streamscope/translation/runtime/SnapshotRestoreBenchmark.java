package dev.streamscope.translation.runtime;

import dev.streamscope.translation.runtime.steps.OnTimePanesStep;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.Locale;
import org.apache.beam.runners.core.metrics.MetricsContainerImpl;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.WindowedValues;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * What writing and restoring a grouping step's snapshot costs per MB: the state of RecoveryBenchmark's
 * batch grouping vertex (events at i ms, key i % 1000, 1 s windows, every element held), written
 * and read back into a fresh step, best of {@code -Dbench.rounds} (7).
 *
 * <p>Usage: {@code java -cp <translation's test class path> ...SnapshotRestoreBenchmark [events]}
 * (1.25M by default: the killed vertex's share at the kill).
 */
public final class SnapshotRestoreBenchmark {
  private SnapshotRestoreBenchmark() {}

  public static void main(String[] args) throws Exception {
    long events = args.length > 0 ? Long.parseLong(args[0]) : 1_250_000L;
    int rounds = Integer.getInteger("bench.rounds", 7);
    Step full = step();
    FixedWindows windows = FixedWindows.of(Duration.standardSeconds(1));
    for (long i = 0; i < events; i++) {
      Instant timestamp = new Instant(i);
      IntervalWindow window = windows.assignWindow(timestamp);
      full.process(
          0, WindowedValues.of(KV.of(i % 1000, i), timestamp, window, PaneInfo.NO_FIRING));
    }
    double bestWriteMs = Double.MAX_VALUE;
    double bestReadMs = Double.MAX_VALUE;
    byte[] snapshot = null;
    for (int round = 0; round < rounds; round++) {
      long start = System.nanoTime();
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (DataOutputStream out = new DataOutputStream(bytes)) {
        full.writeSnapshot(1, out);
      }
      snapshot = bytes.toByteArray();
      bestWriteMs = Math.min(bestWriteMs, (System.nanoTime() - start) / 1e6);
      start = System.nanoTime();
      Step restored = step();
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(snapshot));
      restored.readSnapshot(in);
      SnapshotIo.checkFullyRead(in, "benchmark");
      bestReadMs = Math.min(bestReadMs, (System.nanoTime() - start) / 1e6);
    }
    double mb = snapshot.length / 1e6;
    System.out.printf(Locale.ROOT,
        "events=%,d snapshot=%.2f MB write=%.1f ms (%.1f ms/MB) restore=%.1f ms (%.1f ms/MB)%n",
        events, mb, bestWriteMs, bestWriteMs / mb, bestReadMs, bestReadMs / mb);
  }

  private static Step step() {
    Step step =
        OnTimePanesStep.grouping(
            "Group", VarLongCoder.of(), VarLongCoder.of(),
            WindowingStrategy.of(FixedWindows.of(Duration.standardSeconds(1))));
    MetricsContainerImpl metrics = new MetricsContainerImpl("Group");
    step.wire(new Receiver[] {element -> {}}, metrics, new MetricsSwitch(metrics), null);
    return step;
  }
}
