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
 * proved nothing about recovery. Writes the counts, the failed tests and the tests without a kill
 * to the file the system property {@code vr.killsReport} names when the run ends. Surefire
 * registers it as a JUnit 4 listener (one instance per fork; tests run one at a time).
 */
public final class InjectedKillsListener extends RunListener {
  private final List<String> withoutKill = new ArrayList<>();
  private final List<String> failed = new ArrayList<>();
  private int tests;
  private int testsWithKill;
  private int testsWithKillOutsidePAssert;
  private int kills;
  private int killsAtStart;
  private boolean testFailed;

  @Override
  public synchronized void testStarted(Description description) {
    killsAtStart = TestStreamScopeRunner.injectedKillsSince(0).size();
    testFailed = false;
  }

  @Override
  public synchronized void testFailure(Failure failure) {
    testFailed = true;
  }

  @Override
  public synchronized void testAssumptionFailure(Failure failure) {
    testFailed = true;
  }

  @Override
  public synchronized void testFinished(Description description) {
    List<String> testKills = TestStreamScopeRunner.injectedKillsSince(killsAtStart);
    tests++;
    kills += testKills.size();
    if (testKills.isEmpty()) {
      withoutKill.add(description.getDisplayName());
    } else {
      testsWithKill++;
    }
    // PAssert's own steps are most of a small test pipeline; a kill elsewhere hit the steps tested.
    if (testKills.stream().anyMatch(kill -> !kill.startsWith("PAssert$"))) {
      testsWithKillOutsidePAssert++;
    }
    if (testFailed) {
      failed.add(description.getDisplayName() + " (" + testKills.size() + " kills)");
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
            + " (with one outside PAssert's steps: " + testsWithKillOutsidePAssert
            + "), injected kills: " + kills);
    lines.add("");
    lines.add("failed (" + failed.size() + "):");
    failed.forEach(test -> lines.add("  " + test));
    lines.add("");
    lines.add("without a kill (" + withoutKill.size() + "):");
    withoutKill.forEach(test -> lines.add("  " + test));
    try {
      Path report = Path.of(path);
      Files.createDirectories(report.getParent());
      Files.write(report, lines, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write the kills report " + path, e);
    }
  }
}
