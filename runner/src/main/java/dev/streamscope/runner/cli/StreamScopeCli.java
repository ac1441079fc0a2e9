package dev.streamscope.runner.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/**
 * The {@code streamscope} command line. {@link #execute} returns the exit code instead of exiting,
 * and writes to the {@link PrintWriter}s it was given, so tests can run it in-process:
 *
 * <ul>
 *   <li>0: success;
 *   <li>1: the pipeline failed (the stack trace is printed: it is a bug or an environment problem),
 *       or {@code inspect} found corruption;
 *   <li>2: usage error: unknown subcommand, option or example, or invalid pipeline options (Beam's
 *       {@link IllegalArgumentException}); only the message is printed.
 * </ul>
 */
@Command(
    name = "streamscope",
    mixinStandardHelpOptions = true,
    versionProvider = StreamScopeCli.Version.class,
    description = "Runs Apache Beam pipelines on the StreamScope runner.",
    subcommands = {
      RunCommand.class,
      OptionsCommand.class,
      InspectCommand.class,
      CommandLine.HelpCommand.class
    })
public final class StreamScopeCli implements Runnable {
  /** Exit code of a pipeline that failed. */
  public static final int EXIT_FAILURE = 1;

  /** Exit code of a usage error (picocli's convention). */
  public static final int EXIT_USAGE = CommandLine.ExitCode.USAGE;

  private final PrintWriter out;
  private final PrintWriter err;

  @Spec private CommandSpec spec;

  /** A command line writing to standard output and standard error. */
  public StreamScopeCli() {
    this(
        new PrintWriter(new OutputStreamWriter(System.out, Charset.defaultCharset()), true),
        new PrintWriter(new OutputStreamWriter(System.err, Charset.defaultCharset()), true));
  }

  /** A command line writing its results to {@code out} and its diagnostics to {@code err}. */
  public StreamScopeCli(PrintWriter out, PrintWriter err) {
    this.out = out;
    this.err = err;
  }

  /** Runs the command line {@code args} and returns its exit code. */
  public int execute(String... args) {
    CommandLine commandLine =
        new CommandLine(this)
            .setOut(out)
            .setErr(err)
            .setExecutionExceptionHandler(new ExceptionHandler());
    try {
      return commandLine.execute(args);
    } finally {
      out.flush();
      err.flush();
    }
  }

  /** Without a subcommand: print the usage and fail. */
  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing subcommand");
  }

  public static void main(String[] args) {
    System.exit(new StreamScopeCli().execute(args));
  }

  /**
   * Maps an exception thrown by a subcommand to an exit code: {@link IllegalArgumentException}
   * (what Beam throws for invalid options) is a usage error reported by its message alone; anything
   * else is a failure reported with its stack trace.
   */
  static final class ExceptionHandler implements IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(
        Exception exception, CommandLine commandLine, ParseResult parseResult) {
      PrintWriter err = commandLine.getErr();
      if (exception instanceof IllegalArgumentException) {
        err.println("error: " + messageOf(exception));
        return EXIT_USAGE;
      }
      err.println("error: " + messageOf(exception));
      exception.printStackTrace(err);
      return EXIT_FAILURE;
    }

    private static String messageOf(Throwable throwable) {
      String message = throwable.getMessage();
      return message == null || message.isBlank() ? throwable.getClass().getName() : message;
    }
  }

  /** The version, from a resource Maven fills in. */
  static final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
      Properties properties = new Properties();
      try (InputStream in = StreamScopeCli.class.getResourceAsStream("version.properties")) {
        if (in != null) {
          properties.load(in);
        }
      }
      return new String[] {
        "streamscope " + properties.getProperty("version", "(unknown version)"),
        "Java "
            + System.getProperty("java.version")
            + " ("
            + System.getProperty("java.vendor")
            + ")"
      };
    }
  }
}
