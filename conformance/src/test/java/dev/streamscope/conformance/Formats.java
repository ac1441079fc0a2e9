package dev.streamscope.conformance;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Instant;

/** Deterministic string forms of windows, panes, timestamps and elements. */
public final class Formats {
  private Formats() {}

  /** {@code [start,end)} in epoch milliseconds, or {@code global}. */
  public static String window(BoundedWindow window) {
    if (window instanceof GlobalWindow) {
      return "global";
    }
    if (window instanceof IntervalWindow iw) {
      return "[" + iw.start().getMillis() + "," + iw.end().getMillis() + ")";
    }
    return window.getClass().getSimpleName() + "(max=" + timestamp(window.maxTimestamp()) + ")";
  }

  /** Timing, index, on-time index and first/last flags of a pane. */
  public static String pane(PaneInfo pane) {
    return pane(pane, true);
  }

  /** Like {@link #pane(PaneInfo)}, with the last flag only if {@code withLastFlag}. */
  public static String pane(PaneInfo pane, boolean withLastFlag) {
    if (pane.isUnknown()) {
      return "NO_FIRING";
    }
    return pane.getTiming()
        + "#"
        + pane.getIndex()
        + "/"
        + pane.getNonSpeculativeIndex()
        + (pane.isFirst() ? ",first" : "")
        + (withLastFlag && pane.isLast() ? ",last" : "");
  }

  /** Epoch milliseconds, with names for the ends of time and of the global window. */
  public static String timestamp(Instant ts) {
    if (ts.equals(GlobalWindow.INSTANCE.maxTimestamp())) {
      return "END_OF_GLOBAL_WINDOW";
    }
    if (!ts.isAfter(BoundedWindow.TIMESTAMP_MIN_VALUE)) {
      return "MIN";
    }
    if (!ts.isBefore(BoundedWindow.TIMESTAMP_MAX_VALUE)) {
      return "MAX";
    }
    return Long.toString(ts.getMillis());
  }

  /** A sorted copy of {@code values} in list form, e.g. {@code [1, 2, 3]}. */
  public static <T extends Comparable<? super T>> String sorted(Iterable<T> values) {
    List<T> list = new ArrayList<>();
    values.forEach(list::add);
    list.sort(null);
    return list.toString();
  }

  /**
   * Formats every element with {@code fn} followed by its window, pane and timestamp:
   * {@code "<fn(e)> window=[0,1000) pane=ON_TIME#0/0,first,last ts=999"}.
   */
  public static <T> Describe<T> describe(SerializableFunction<T, String> fn) {
    return new Describe<>(fn, true);
  }

  /**
   * Like {@link #describe} but without the pane's last flag. With allowed lateness, whether the
   * ON_TIME pane is also the last one depends on whether the watermark had already passed the
   * window's garbage-collection time when the pane fired, which is timing, not semantics.
   */
  public static <T> Describe<T> describeWithoutLastFlag(SerializableFunction<T, String> fn) {
    return new Describe<>(fn, false);
  }

  /** See {@link #describe}. */
  public static final class Describe<T> extends PTransform<PCollection<T>, PCollection<String>> {
    private final SerializableFunction<T, String> fn;
    private final boolean withLastFlag;

    Describe(SerializableFunction<T, String> fn, boolean withLastFlag) {
      this.fn = fn;
      this.withLastFlag = withLastFlag;
    }

    @Override
    public PCollection<String> expand(PCollection<T> input) {
      return input
          .apply(ParDo.of(new DescribeFn<>(fn, withLastFlag)))
          .setCoder(StringUtf8Coder.of());
    }
  }

  static final class DescribeFn<T> extends DoFn<T, String> {
    private final SerializableFunction<T, String> fn;
    private final boolean withLastFlag;

    DescribeFn(SerializableFunction<T, String> fn, boolean withLastFlag) {
      this.fn = fn;
      this.withLastFlag = withLastFlag;
    }

    @ProcessElement
    public void processElement(
        @Element T element,
        @Timestamp Instant timestamp,
        BoundedWindow window,
        PaneInfo pane,
        OutputReceiver<String> out) {
      out.output(
          fn.apply(element)
              + " window="
              + window(window)
              + " pane="
              + pane(pane, withLastFlag)
              + " ts="
              + timestamp(timestamp));
    }
  }
}
