package dev.streamscope.runner.cli;

import dev.streamscope.runner.examples.Example;
import dev.streamscope.runner.examples.ExampleOptions;
import dev.streamscope.runner.examples.Examples;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * {@code streamscope run --example NAME [pipeline options...]}: builds a bundled example, runs it
 * (on StreamScope unless {@code --runner} says otherwise), waits for it to finish, and prints its
 * results, which it reads back from the files the pipeline wrote.
 */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = "Runs a bundled example pipeline and prints its results.",
    footer = {
      "",
      "Any other argument is a Beam pipeline option, passed to PipelineOptionsFactory,"
          + " e.g. --parallelism=4, --checkpointIntervalMs=5000, --output=DIR, --streaming,"
          + " --runner=DirectRunner. The runner is "
          + RunCommand.DEFAULT_RUNNER
          + " unless --runner is given. 'streamscope options' lists them.",
      "",
      "Exit codes: 0 success, 1 pipeline failure, 2 usage error or invalid options."
    })
final class RunCommand implements Callable<Integer> {
  /** The runner used when the arguments name none. */
  static final String DEFAULT_RUNNER = "StreamScope";

  @Spec private CommandSpec spec;

  @ArgGroup(exclusive = true, multiplicity = "1")
  private Mode mode;

  @Unmatched private List<String> pipelineArgs = new ArrayList<>();

  /** Either an example to run or the request to list them. */
  static final class Mode {
    @Option(names = "--example", paramLabel = "NAME", description = "The example to run.")
    private String example;

    @Option(names = "--list", description = "Lists the bundled examples.")
    private boolean list;
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (mode.list) {
      printList(out);
      return 0;
    }
    Example example = Examples.find(mode.example).orElse(null);
    if (example == null) {
      err.printf(
          "error: unknown example '%s'; valid examples: %s%n", mode.example, Examples.names());
      return StreamScopeCli.EXIT_USAGE;
    }
    for (String arg : pipelineArgs) {
      // Beam's own --help handling would call System.exit.
      if (arg.equals("--help") || arg.startsWith("--help=")) {
        err.println("error: " + arg + " is not supported here; run 'streamscope options'");
        return StreamScopeCli.EXIT_USAGE;
      }
    }

    ExampleOptions options =
        parseOptions(example.optionsClass(), withDefaults(example, pipelineArgs));
    Pipeline pipeline = Pipeline.create(options);
    example.build(pipeline);

    out.printf(
        "Running example %s on %s (output %s)%n",
        example.name(), options.getRunner().getSimpleName(), options.getOutput());
    out.flush();
    long startNanos = System.nanoTime();
    PipelineResult result = pipeline.run();
    PipelineResult.State state = result.waitUntilFinish();
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    if (state != PipelineResult.State.DONE) {
      err.printf(
          Locale.ROOT, "error: the pipeline ended in state %s after %.1f s%n", state, seconds);
      return StreamScopeCli.EXIT_FAILURE;
    }
    out.printf(Locale.ROOT, "Finished in %.1f s.%n", seconds);
    example.printResults(options, out);
    return 0;
  }

  /**
   * The pipeline arguments plus the defaults the user did not override: {@code --runner} and, for
   * streaming examples, {@code --streaming}.
   */
  static List<String> withDefaults(Example example, List<String> args) {
    List<String> all = new ArrayList<>();
    if (!hasOption(args, "runner")) {
      all.add("--runner=" + DEFAULT_RUNNER);
    }
    if (example.streaming() && !hasOption(args, "streaming")) {
      all.add("--streaming=true");
    }
    all.addAll(args);
    return all;
  }

  /**
   * Parses {@code args} with Beam's {@link PipelineOptionsFactory}. Beam's message for a value it
   * cannot convert does not name the option, so when parsing fails, each argument is parsed alone
   * to find the culprit and name it.
   *
   * @throws IllegalArgumentException if the options are invalid
   */
  static <T extends PipelineOptions> T parseOptions(Class<T> optionsClass, List<String> args) {
    try {
      return PipelineOptionsFactory.fromArgs(args.toArray(String[]::new))
          .withValidation()
          .as(optionsClass);
    } catch (IllegalArgumentException e) {
      for (String arg : args) {
        try {
          PipelineOptionsFactory.fromArgs(arg).as(optionsClass);
        } catch (IllegalArgumentException argException) {
          throw new IllegalArgumentException(
              "invalid pipeline option '" + arg + "': " + firstLine(argException.getMessage()), e);
        }
      }
      throw e;
    }
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "";
    }
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }

  private static boolean hasOption(List<String> args, String name) {
    return args.stream()
        .anyMatch(arg -> arg.equals("--" + name) || arg.startsWith("--" + name + "="));
  }

  private static void printList(PrintWriter out) {
    out.println("Examples (streamscope run --example NAME [pipeline options...]):");
    int width =
        Examples.all().stream().mapToInt(example -> example.name().length()).max().orElse(0);
    for (Example example : Examples.all()) {
      out.printf("  %-" + width + "s  %s%n", example.name(), example.description());
    }
  }
}
