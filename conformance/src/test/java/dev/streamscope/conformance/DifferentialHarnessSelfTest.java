package dev.streamscope.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.transforms.Create;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/** Checks the harness itself, on DirectRunner only. */
class DifferentialHarnessSelfTest {

  @Test
  void collectsEveryOutputLineOfARunSorted() {
    List<String> input = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      input.add("line-" + (i * 7919 % 500));
    }
    input.add("line-0"); // a duplicate must be kept
    List<String> collected =
        DifferentialHarness.runAndCollect(
            "self", DifferentialHarness.directRunnerOptions(), p -> p.apply(Create.of(input)));
    List<String> expected = new ArrayList<>(input);
    expected.sort(null);
    assertEquals(expected, collected);
  }

  @Test
  void runsDoNotSeeEachOthersOutput() {
    List<String> first =
        DifferentialHarness.runAndCollect(
            "a", DifferentialHarness.directRunnerOptions(), p -> p.apply(Create.of("a1", "a2")));
    List<String> second =
        DifferentialHarness.runAndCollect(
            "b", DifferentialHarness.directRunnerOptions(), p -> p.apply(Create.of("b1")));
    assertEquals(List.of("a1", "a2"), first);
    assertEquals(List.of("b1"), second);
  }

  @Test
  void differentOutputsFailWithADiff() {
    var reference = new DifferentialHarness.RunOutput("ref", List.of("a", "b", "b", "c"));
    var candidate = new DifferentialHarness.RunOutput("cand", List.of("a", "b", "d"));
    AssertionFailedError e =
        assertThrows(
            AssertionFailedError.class,
            () -> DifferentialHarness.assertOutputsEqual("s", reference, candidate, false));
    String message = e.getMessage();
    assertTrue(message.contains("only in ref (missing from cand): 2 line(s)\n    b\n    c\n"), message);
    assertTrue(message.contains("only in cand (unexpected): 1 line(s)\n    d\n"), message);
  }

  @Test
  void emptyCandidateOutputFailsUnlessExpected() {
    var reference = new DifferentialHarness.RunOutput("ref", List.of("a"));
    var empty = new DifferentialHarness.RunOutput("cand", List.of());
    AssertionFailedError e =
        assertThrows(
            AssertionFailedError.class,
            () -> DifferentialHarness.assertOutputsEqual("s", reference, empty, false));
    assertTrue(e.getMessage().contains("cand output nothing"), e.getMessage());
    DifferentialHarness.assertOutputsEqual(
        "s", new DifferentialHarness.RunOutput("ref", List.of()), empty, true);
    assertThrows(
        AssertionFailedError.class,
        () -> DifferentialHarness.assertOutputsEqual("s", reference, reference, true));
  }
}
