package dev.streamscope.conformance;

import dev.streamscope.runner.TestStreamScopeRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.runner.Description;
import org.junit.runner.Result;
import org.junit.runner.notification.Failure;
import org.junit.runner.notification.RunListener;

/**
 * Counts, in Beam's ValidatesRunner runs with {@code --injectVertexFailures} (profile {@code
 * vr-failures}), how many tests had at least one injected kill: a test that passed without one
 * proved nothing about recovery. Writes the counts, and the tests without a kill, to the file the
 * system property {@code vr.killsReport} names, after each test class (the totals are cumulative
 * over the surefire fork). Surefire registers it as a JUnit 4 listener.
 */
public final class InjectedKillsListener extends RunListener {
  private static final List<String> WITHOUT_KILL = new ArrayList<>();
  private static final List<String> FAILED = new ArrayList<>();
  private static int tests;
  private static int testsWithKill;
  private static long kills;

  private long killsAtStart;
  private boolean failed;

  @Override
  public void testStarted(Description description) {
    killsAtStart = TestStreamScopeRunner.injectedKillsTotal();
    failed = false;
  }

  @Override
  public void testFailure(Failure failure) {
    failed = true;
  }

  @Override
  public void testAssumptionFailure(Failure failure) {
    failed = true;
  }

  @Override
  public synchronized void testFinished(Description description) {
    long testKills = TestStreamScopeRunner.injectedKillsTotal() - killsAtStart;
    tests++;
    kills += testKills;
    if (testKills > 0) {
      testsWithKill++;
    } else {
      WITHOUT_KILL.add(description.getDisplayName());
    }
    if (failed) {
      FAILED.add(description.getDisplayName() + " (" + testKills + " kills)");
    }
  }

  @Override
  public synchronized void testRunFinished(Result result) {
    String path = System.getProperty("vr.killsReport");
    if (path == null || path.isEmpty()) {
      return;
    }
    List<String> lines = new ArrayList<>();
    lines.add(
        "tests run: " + tests + ", with at least one injected kill: " + testsWithKill
            + ", injected kills: " + kills);
    lines.add("");
    lines.add("failed (" + FAILED.size() + "):");
    FAILED.forEach(test -> lines.add("  " + test));
    lines.add("");
    lines.add("without a kill (" + WITHOUT_KILL.size() + "):");
    WITHOUT_KILL.forEach(test -> lines.add("  " + test));
    try {
      Path report = Path.of(path);
      Files.createDirectories(report.getParent());
      Files.write(report, lines, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write the kills report " + path, e);
    }
  }
}
