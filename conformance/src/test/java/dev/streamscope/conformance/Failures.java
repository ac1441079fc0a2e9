package dev.streamscope.conformance;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/** Helpers to read the messages of an exception and its causes. */
final class Failures {
  private Failures() {}

  /** "Class: message" of {@code t} and of each of its causes (and suppressed), one per line. */
  static String chain(Throwable t) {
    StringBuilder sb = new StringBuilder();
    Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    append(sb, t, seen);
    return sb.toString();
  }

  private static void append(StringBuilder sb, Throwable t, Set<Throwable> seen) {
    while (t != null && seen.add(t)) {
      sb.append(t.getClass().getName()).append(": ").append(t.getMessage()).append('\n');
      for (Throwable s : t.getSuppressed()) {
        append(sb, s, seen);
      }
      t = t.getCause();
    }
  }
}
