package dev.streamscope.runner.examples;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * A streaming count: the numbers {@code 0 .. elements-1} are read from Beam's unbounded counting
 * source (event time of number {@code i} = {@code i} ms after the epoch, so the watermark follows
 * the data and no element is late), counted per one-second fixed window, and each window's count is
 * written as a {@code [start, end): count} line. The output depends on {@code --elements} only:
 * {@code elements / 1000} full windows of 1000 and, if {@code elements} is not a multiple of 1000,
 * one last window with the remainder.
 */
public final class WindowedCount implements Example {
  /** The example's name. */
  public static final String NAME = "windowed-count";

  /** File name prefix of the result shards inside the output directory. */
  public static final String RESULT_NAME = "windows";

  /** Length of the fixed windows. */
  public static final Duration WINDOW_SIZE = Duration.standardSeconds(1);

  /** Options of the windowed-count example. */
  public interface WindowedCountOptions extends ExampleOptions {
    @Description("How many numbers the source emits; number i has event time i ms.")
    @Default.Long(10_000L)
    long getElements();

    void setElements(long elements);

    @Description(
        "Numbers the source emits per second of processing time; 0 (the default) means as fast as"
            + " the pipeline consumes them.")
    @Default.Long(0L)
    long getElementsPerSecond();

    void setElementsPerSecond(long elementsPerSecond);
  }

  /**
   * Adds the windowed count to {@code pipeline}: {@code elements} numbers, throttled to {@code
   * elementsPerSecond} if positive, counted per window; writes one line per window to the single
   * shard {@code outputPrefix-00000-of-00001.txt}.
   */
  public static PCollection<String> addTo(
      Pipeline pipeline, long elements, long elementsPerSecond, String outputPrefix) {
    if (elements <= 0) {
      throw new IllegalArgumentException("--elements must be positive, was " + elements);
    }
    if (elementsPerSecond < 0) {
      throw new IllegalArgumentException(
          "--elementsPerSecond must not be negative, was " + elementsPerSecond);
    }
    GenerateSequence numbers =
        GenerateSequence.from(0).to(elements).withTimestampFn(WindowedCount::eventTime);
    if (elementsPerSecond > 0) {
      numbers = numbers.withRate(elementsPerSecond, Duration.standardSeconds(1));
    }
    PCollection<String> windows =
        pipeline
            .apply("GenerateNumbers", numbers)
            .apply("FixedWindows", Window.into(FixedWindows.of(WINDOW_SIZE)))
            .apply("CountPerWindow", Combine.globally(Count.<Long>combineFn()).withoutDefaults())
            .apply("Format", ParDo.of(new FormatWindowFn()));
    // Rewindow so that all windows land in one file, written when the input is exhausted.
    windows
        .apply("GlobalWindow", Window.into(new GlobalWindows()))
        .apply(
            "WriteWindows",
            TextIO.write().to(outputPrefix).withSuffix(ResultFiles.SUFFIX).withNumShards(1));
    return windows;
  }

  /** Event time of number {@code i}: {@code i} milliseconds after the epoch. */
  public static Instant eventTime(Long i) {
    return new Instant(i);
  }

  /** Reads back the window lines written under {@code outputPrefix}, sorted by window start. */
  public static List<String> readWindows(String outputPrefix) throws IOException {
    List<String> lines = ResultFiles.readLines(outputPrefix);
    // ISO-8601 instants of one length sort like the times they denote.
    lines.sort(null);
    return lines;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "streaming: counts a generated sequence (event time i ms) per 1 s fixed window";
  }

  @Override
  public Class<? extends ExampleOptions> optionsClass() {
    return WindowedCountOptions.class;
  }

  @Override
  public boolean streaming() {
    return true;
  }

  @Override
  public void build(Pipeline pipeline) throws IOException {
    WindowedCountOptions options = pipeline.getOptions().as(WindowedCountOptions.class);
    String prefix = ResultFiles.prefix(options.getOutput(), RESULT_NAME);
    ResultFiles.deleteOld(prefix);
    addTo(pipeline, options.getElements(), options.getElementsPerSecond(), prefix);
  }

  @Override
  public void printResults(ExampleOptions options, PrintWriter out) throws IOException {
    String prefix = ResultFiles.prefix(options.getOutput(), RESULT_NAME);
    List<String> windows = readWindows(prefix);
    out.printf("%d windows of %d s:%n", windows.size(), WINDOW_SIZE.getStandardSeconds());
    for (String window : windows) {
      out.printf("  %s%n", window);
    }
    out.printf("Results: %s-*%s%n", prefix, ResultFiles.SUFFIX);
  }

  /** Formats a window's count as {@code [start, end): count}. */
  static final class FormatWindowFn extends DoFn<Long, String> {
    @ProcessElement
    public void processElement(
        @Element Long count, IntervalWindow window, OutputReceiver<String> out) {
      out.output("[" + window.start() + ", " + window.end() + "): " + count);
    }
  }
}
