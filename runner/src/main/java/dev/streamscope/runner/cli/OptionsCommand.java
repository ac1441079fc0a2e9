package dev.streamscope.runner.cli;

import dev.streamscope.runner.StreamScopePipelineOptions;
import dev.streamscope.runner.examples.Example;
import dev.streamscope.runner.examples.Examples;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.StreamingOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code streamscope options [--example NAME] [--all]}: describes the pipeline options, with Beam's
 * own help text. By default only StreamScope's options, {@code --streaming} and the example's own
 * options; {@code --all} adds every option Beam's core interfaces define.
 */
@Command(
    name = "options",
    mixinStandardHelpOptions = true,
    description = "Describes the StreamScope pipeline options (and an example's own options).")
final class OptionsCommand implements Callable<Integer> {
  @Spec private CommandSpec spec;

  @Option(
      names = "--example",
      paramLabel = "NAME",
      description = "Also describe the options of this example.")
  private String example;

  @Option(names = "--all", description = "Also describe Beam's general pipeline options.")
  private boolean all;

  @Override
  public Integer call() {
    List<Class<? extends PipelineOptions>> interfaces = new ArrayList<>();
    interfaces.add(StreamScopePipelineOptions.class);
    if (example != null) {
      Example found = Examples.find(example).orElse(null);
      if (found == null) {
        spec.commandLine()
            .getErr()
            .printf("error: unknown example '%s'; valid examples: %s%n", example, Examples.names());
        return StreamScopeCli.EXIT_USAGE;
      }
      interfaces.add(found.optionsClass());
    }
    // Section header ("interface name:") -> section text, each interface once.
    Map<String, String> sections = new LinkedHashMap<>();
    for (Class<? extends PipelineOptions> options : interfaces) {
      sections.putAll(sections(help(options)));
    }
    PrintWriter out = spec.commandLine().getOut();
    sections.forEach(
        (name, text) -> {
          if (all
              || name.startsWith("dev.streamscope.")
              || name.equals(StreamingOptions.class.getName())) {
            out.print(text);
          }
        });
    if (!all) {
      out.println("Beam's general options (--runner, --jobName, ...) apply too: add --all.");
    }
    return 0;
  }

  private static String help(Class<? extends PipelineOptions> options) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (PrintStream stream = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      PipelineOptionsFactory.printHelp(stream, options);
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  /**
   * Splits Beam's help text into its sections: each starts with a line {@code interface.Name:} at
   * the start of the line, followed by indented option descriptions.
   */
  private static Map<String, String> sections(String help) {
    Map<String, String> sections = new LinkedHashMap<>();
    String name = null;
    StringBuilder text = new StringBuilder();
    for (String line : help.split("\\R", -1)) {
      boolean header =
          !line.isEmpty() && !Character.isWhitespace(line.charAt(0)) && line.endsWith(":");
      if (header) {
        if (name != null) {
          sections.put(name, text.toString());
        }
        name = line.substring(0, line.length() - 1);
        text.setLength(0);
      }
      if (name != null) {
        text.append(line).append(System.lineSeparator());
      }
    }
    if (name != null) {
      sections.put(
          name, text.toString().stripTrailing() + System.lineSeparator() + System.lineSeparator());
    }
    return sections;
  }
}
