package dev.streamscope.runner.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamscope.runner.examples.Examples;
import dev.streamscope.runner.examples.WindowedCount;
import dev.streamscope.runner.examples.WordCount;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * Runs {@link StreamScopeCli#execute} in-process and checks its exit codes and output. The examples
 * run on StreamScope and on the DirectRunner (test scope only), and must print the same results.
 */
class StreamScopeCliTest {

  /** One run of the command line: exit code and what it printed. */
  private record Run(int exitCode, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exitCode = new StreamScopeCli(new PrintWriter(out), new PrintWriter(err)).execute(args);
    return new Run(exitCode, out.toString(), err.toString());
  }

  @Test
  void listNamesEveryExample() {
    Run run = run("run", "--list");

    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().contains("wordcount"), run.out());
    assertTrue(run.out().contains("windowed-count"), run.out());
  }

  @Test
  void unknownExampleIsAUsageErrorListingTheValidNames() {
    Run run = run("run", "--example", "no-such-example");

    assertEquals(2, run.exitCode());
    assertTrue(run.err().contains("no-such-example"), run.err());
    for (String name : List.of(WordCount.NAME, WindowedCount.NAME)) {
      assertTrue(run.err().contains(name), run.err());
    }
    assertTrue(run.err().contains(Examples.names()), run.err());
  }

  @Test
  void invalidPipelineOptionIsAUsageErrorNamingTheOptionWithoutStackTrace() {
    Run run = run("run", "--example", "wordcount", "--parallelism=notanumber");

    assertEquals(2, run.exitCode(), run.err());
    assertTrue(run.err().contains("parallelism"), run.err());
    assertTrue(run.err().contains("notanumber"), run.err());
    assertFalse(run.err().contains("\tat "), run.err());
  }

  @Test
  void unknownPipelineOptionIsAUsageError() {
    Run run = run("run", "--example", "wordcount", "--noSuchOption=1");

    assertEquals(2, run.exitCode(), run.err());
    assertTrue(run.err().contains("noSuchOption"), run.err());
    assertFalse(run.err().contains("\tat "), run.err());
  }

  @Test
  void missingSubcommandOrExampleIsAUsageError() {
    assertEquals(2, run().exitCode());
    assertEquals(2, run("run").exitCode());
    assertEquals(
        2, run("run", "--example", "wordcount", "--help=StreamScopePipelineOptions").exitCode());
  }

  @Test
  void optionsDescribesTheRunnerOptions() {
    Run run = run("options", "--example", "windowed-count");

    assertEquals(0, run.exitCode(), run.err());
    for (String option :
        List.of("--parallelism", "--rstreamRoot", "--recoveryStrategy", "--elements", "--output")) {
      assertTrue(run.out().contains(option), option + " in:\n" + run.out());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"StreamScope", "DirectRunner"})
  void wordcountCountsEveryWordOfTheBundledText(String runner, @TempDir Path output)
      throws IOException {
    // A shard of an earlier run with more shards: must not be read back as a result.
    Files.writeString(output.resolve("counts-00007-of-00009.txt"), "stale: 1\n");

    Run run =
        run(
            "run",
            "--example",
            "wordcount",
            "--runner=" + runner,
            "--output=" + output,
            "--parallelism=3");

    assertEquals(0, run.exitCode(), run.err());
    Map<String, Long> expected = countWords(bundledText());
    assertEquals(expected, readCountFiles(output));
    // A few words the text is known to hold, as a check on the independent count itself.
    assertEquals(expected.get("ledger"), (Long) countOccurrences(bundledText(), "ledger"));
    assertTrue(expected.get("ferryman") >= 10, expected.toString());
    // The printed summary: totals, then the ten most frequent words in order.
    long total = expected.values().stream().mapToLong(Long::longValue).sum();
    assertTrue(run.out().contains(total + " words, " + expected.size() + " distinct"), run.out());
    List<String> top =
        expected.entrySet().stream()
            .sorted(
                (a, b) ->
                    a.getValue().equals(b.getValue())
                        ? a.getKey().compareTo(b.getKey())
                        : Long.compare(b.getValue(), a.getValue()))
            .limit(10)
            .map(entry -> "  " + entry.getKey() + ": " + entry.getValue())
            .collect(Collectors.toList());
    assertTrue(run.out().contains(String.join(System.lineSeparator(), top)), run.out());
  }

  @ParameterizedTest
  @ValueSource(strings = {"StreamScope", "DirectRunner"})
  void windowedCountCountsEachOneSecondWindow(String runner, @TempDir Path output) {
    Run run =
        run(
            "run",
            "--example",
            "windowed-count",
            "--runner=" + runner,
            "--elements=2500",
            "--parallelism=3",
            "--output=" + output);

    assertEquals(0, run.exitCode(), run.err());
    String expected =
        String.join(
            System.lineSeparator(),
            "3 windows of 1 s:",
            "  [1970-01-01T00:00:00.000Z, 1970-01-01T00:00:01.000Z): 1000",
            "  [1970-01-01T00:00:01.000Z, 1970-01-01T00:00:02.000Z): 1000",
            "  [1970-01-01T00:00:02.000Z, 1970-01-01T00:00:03.000Z): 500");
    assertTrue(run.out().contains(expected), run.out());
  }

  @Test
  void exactlyOneSlf4jProviderIsOnTheClassPath() {
    List<String> providers = new ArrayList<>();
    ServiceLoader.load(SLF4JServiceProvider.class)
        .forEach(provider -> providers.add(provider.getClass().getName()));
    assertEquals(List.of("org.slf4j.simple.SimpleServiceProvider"), providers);
  }

  private static String bundledText() throws IOException {
    try (InputStream in =
        StreamScopeCliTest.class.getClassLoader().getResourceAsStream(WordCount.BUNDLED_TEXT)) {
      assertTrue(in != null, WordCount.BUNDLED_TEXT);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** Counts lower-case words (maximal runs of letters), character by character. */
  private static Map<String, Long> countWords(String text) {
    Map<String, Long> counts = new TreeMap<>();
    StringBuilder word = new StringBuilder();
    for (int i = 0; i <= text.length(); i++) {
      if (i < text.length() && Character.isLetter(text.charAt(i))) {
        word.append(Character.toLowerCase(text.charAt(i)));
      } else if (word.length() > 0) {
        counts.merge(word.toString(), 1L, Long::sum);
        word.setLength(0);
      }
    }
    return counts;
  }

  /** How often {@code word} occurs in {@code text} as a whole word, ignoring case. */
  private static long countOccurrences(String text, String word) {
    return Stream.of(text.toLowerCase(Locale.ROOT).split("\\W+")).filter(word::equals).count();
  }

  /** The {@code word: count} lines of every result shard in {@code output}. */
  private static Map<String, Long> readCountFiles(Path output) throws IOException {
    Map<String, Long> counts = new TreeMap<>();
    try (Stream<Path> files = Files.list(output)) {
      for (Path file :
          files.filter(f -> f.getFileName().toString().startsWith("counts-")).toList()) {
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
          String[] parts = line.split(": ");
          assertEquals(2, parts.length, line);
          assertEquals(null, counts.put(parts[0], Long.parseLong(parts[1])), line);
        }
      }
    }
    return counts;
  }
}
