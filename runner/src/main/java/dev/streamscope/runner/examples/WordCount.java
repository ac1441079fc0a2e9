package dev.streamscope.runner.examples;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Counts the words of a text: read with TextIO, split into lower-case words (maximal runs of
 * letters), {@link Count#perElement()}, formatted as {@code word: count} and written with TextIO.
 */
public final class WordCount implements Example {
  /** The example's name. */
  public static final String NAME = "wordcount";

  /** Class-path resource of the bundled text (written for StreamScope; public domain). */
  public static final String BUNDLED_TEXT =
      "dev/streamscope/runner/examples/the-ferryman-and-the-ledger.txt";

  /** File name prefix of the result shards inside the output directory. */
  public static final String RESULT_NAME = "counts";

  /** How many of the most frequent words are printed. */
  public static final int TOP_COUNT = 10;

  /** Options of the wordcount example. */
  public interface WordCountOptions extends ExampleOptions {
    @Description(
        "File or file pattern to count. Defaults to a short text bundled with StreamScope.")
    String getInput();

    void setInput(String input);
  }

  /**
   * Adds the word count to {@code pipeline}: reads {@code inputPattern}, writes one {@code word:
   * count} line per distinct word to shards {@code outputPrefix-SSSSS-of-NNNNN.txt}.
   */
  public static PCollection<String> addTo(
      Pipeline pipeline, String inputPattern, String outputPrefix) {
    PCollection<String> counts =
        pipeline
            .apply("ReadLines", TextIO.read().from(inputPattern))
            .apply("SplitWords", ParDo.of(new SplitWordsFn()))
            .apply("CountWords", Count.perElement())
            .apply(
                "Format",
                MapElements.into(TypeDescriptors.strings())
                    .via((KV<String, Long> count) -> count.getKey() + ": " + count.getValue()));
    counts.apply("WriteCounts", TextIO.write().to(outputPrefix).withSuffix(ResultFiles.SUFFIX));
    return counts;
  }

  /** Reads back the {@code word: count} lines written under {@code outputPrefix}. */
  public static Map<String, Long> readCounts(String outputPrefix) throws IOException {
    Map<String, Long> counts = new TreeMap<>();
    for (String line : ResultFiles.readLines(outputPrefix)) {
      int colon = line.lastIndexOf(": ");
      if (colon < 0) {
        throw new IOException("Malformed result line '" + line + "' under " + outputPrefix);
      }
      Long previous =
          counts.put(line.substring(0, colon), Long.parseLong(line.substring(colon + 2)));
      if (previous != null) {
        throw new IOException("Word '" + line.substring(0, colon) + "' counted twice: " + line);
      }
    }
    return counts;
  }

  /** The {@code limit} most frequent words: by count descending, then by word. */
  public static List<Map.Entry<String, Long>> top(Map<String, Long> counts, int limit) {
    List<Map.Entry<String, Long>> sorted = new ArrayList<>(counts.entrySet());
    sorted.sort(
        Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder())
            .thenComparing(Map.Entry.comparingByKey()));
    return sorted.subList(0, Math.min(limit, sorted.size()));
  }

  /** Copies the bundled text to a temporary file (deleted when the JVM exits). */
  public static Path copyBundledText() throws IOException {
    Path file = Files.createTempFile("streamscope-wordcount-", ".txt");
    file.toFile().deleteOnExit();
    try (InputStream in = WordCount.class.getClassLoader().getResourceAsStream(BUNDLED_TEXT)) {
      if (in == null) {
        throw new IOException("Resource " + BUNDLED_TEXT + " is missing from the class path");
      }
      Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
    }
    return file;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "counts the words of a bundled text (or --input=FILE) and prints the "
        + TOP_COUNT
        + " most frequent";
  }

  @Override
  public Class<? extends ExampleOptions> optionsClass() {
    return WordCountOptions.class;
  }

  @Override
  public void build(Pipeline pipeline) throws IOException {
    WordCountOptions options = pipeline.getOptions().as(WordCountOptions.class);
    String input = options.getInput();
    if (input == null) {
      input = copyBundledText().toString();
      options.setInput(input);
    } else if (FileSystems.match(input, EmptyMatchTreatment.ALLOW).metadata().isEmpty()) {
      throw new IllegalArgumentException("--input=" + input + " matches no file");
    }
    String prefix = ResultFiles.prefix(options.getOutput(), RESULT_NAME);
    ResultFiles.deleteOld(prefix);
    addTo(pipeline, input, prefix);
  }

  @Override
  public void printResults(ExampleOptions options, PrintWriter out) throws IOException {
    String prefix = ResultFiles.prefix(options.getOutput(), RESULT_NAME);
    Map<String, Long> counts = readCounts(prefix);
    long total = counts.values().stream().mapToLong(Long::longValue).sum();
    out.printf("%d words, %d distinct. Top %d:%n", total, counts.size(), TOP_COUNT);
    for (Map.Entry<String, Long> entry : top(counts, TOP_COUNT)) {
      out.printf("  %s: %d%n", entry.getKey(), entry.getValue());
    }
    out.printf("All counts: %s-*%s%n", prefix, ResultFiles.SUFFIX);
  }

  /** Splits a line into lower-case words: maximal runs of letters. */
  static final class SplitWordsFn extends DoFn<String, String> {
    @ProcessElement
    public void processElement(@Element String line, OutputReceiver<String> out) {
      for (String word : line.toLowerCase(Locale.ROOT).split("[^\\p{L}]+")) {
        if (!word.isEmpty()) {
          out.output(word);
        }
      }
    }
  }
}
