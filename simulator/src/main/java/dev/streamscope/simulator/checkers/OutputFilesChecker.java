package dev.streamscope.simulator.checkers;

import dev.streamscope.simulator.RunRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Exactly-once at the edge: the files the pipeline wrote (a TextIO or FileIO sink) hold the same
 * lines, as often, as the reference run's, and it deleted the same files. Files are compared per
 * output: their directory and name with every number made {@code #}, because how many shards a
 * sink writes, and so their names, follows the bundles, which faults change; the lines do not.
 */
public final class OutputFilesChecker implements Checker {
  @Override
  public String name() {
    return "output files";
  }

  @Override
  public Optional<String> check(RunRecord reference, RunRecord run) {
    if (!reference.files().deleted().equals(run.files().deleted())) {
      return Optional.of(
          "the run deleted " + run.files().deleted() + ", the reference run " + reference.files().deleted());
    }
    Map<String, List<String>> expected = linesByOutput(reference.files().written());
    Map<String, List<String>> actual = linesByOutput(run.files().written());
    if (!expected.keySet().equals(actual.keySet())) {
      return Optional.of("the run wrote outputs " + actual.keySet() + ", the reference run " + expected.keySet());
    }
    for (Map.Entry<String, List<String>> output : expected.entrySet()) {
      List<String> wanted = output.getValue();
      List<String> got = actual.get(output.getKey());
      if (!wanted.equals(got)) {
        return Optional.of(
            "output " + output.getKey() + ": " + got.size() + " lines, reference " + wanted.size()
                + firstDifference(wanted, got));
      }
    }
    return Optional.empty();
  }

  /** The sorted lines of each output (bytes kept as they are: ISO-8859-1 maps each to a char). */
  private static Map<String, List<String>> linesByOutput(Map<Path, byte[]> files) {
    Map<String, List<String>> outputs = new TreeMap<>();
    files.forEach((path, bytes) -> {
      String output = path.getParent() + "/" + path.getFileName().toString().replaceAll("[0-9]+", "#");
      String text = new String(bytes, StandardCharsets.ISO_8859_1);
      List<String> lines = outputs.computeIfAbsent(output, o -> new ArrayList<>());
      if (!text.isEmpty()) {
        lines.addAll(Arrays.asList(text.split("\n", -1)));
        if (text.endsWith("\n")) {
          lines.remove(lines.size() - 1);
        }
      }
    });
    outputs.values().forEach(lines -> lines.sort(null));
    return outputs;
  }

  private static String firstDifference(List<String> wanted, List<String> got) {
    for (int i = 0; i < Math.max(wanted.size(), got.size()); i++) {
      String expected = i < wanted.size() ? wanted.get(i) : null;
      String actual = i < got.size() ? got.get(i) : null;
      if (expected == null || actual == null || !expected.equals(actual)) {
        return "; first difference in sorted order: line " + i + " is " + quoted(actual)
            + ", reference " + quoted(expected);
      }
    }
    return "";
  }

  private static String quoted(String line) {
    if (line == null) {
      return "(none)";
    }
    return "'" + (line.length() > 80 ? line.substring(0, 80) + "..." : line) + "'";
  }
}
