package dev.streamscope.runner.examples;

import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/** The registry of bundled examples, in the order {@code streamscope run --list} shows them. */
public final class Examples {
  private static final List<Example> ALL = List.of(new WordCount(), new WindowedCount());

  private Examples() {}

  /** Every bundled example. */
  public static List<Example> all() {
    return ALL;
  }

  /** The example called {@code name}, if there is one. */
  public static Optional<Example> find(String name) {
    return ALL.stream().filter(example -> example.name().equals(name)).findFirst();
  }

  /** The names of all examples, comma separated. */
  public static String names() {
    return ALL.stream().map(Example::name).collect(Collectors.joining(", "));
  }
}
