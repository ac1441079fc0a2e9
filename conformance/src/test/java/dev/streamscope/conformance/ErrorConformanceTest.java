package dev.streamscope.conformance;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** StreamScope rejects what it cannot run, at {@code run()} or option validation, with clear errors. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ErrorConformanceTest {

  private static final Pattern URN_WORD = Pattern.compile("\\bURN\\b", Pattern.CASE_INSENSITIVE);

  /**
   * StreamScope options: {@code --runner=StreamScope --parallelism=2} plus {@code extraArgs}; an
   * extra {@code --parallelism} replaces the default one (a repeated option is an error of its own).
   */
  private static PipelineOptions streamScope(String... extraArgs) {
    List<String> args = new ArrayList<>();
    args.add("--runner=StreamScope");
    if (Arrays.stream(extraArgs).noneMatch(a -> a.startsWith("--parallelism="))) {
      args.add("--parallelism=2");
    }
    args.addAll(Arrays.asList(extraArgs));
    return PipelineOptionsFactory.fromArgs(args.toArray(new String[0])).create();
  }

  /** Runs {@code pipeline} and returns what {@code run()} threw; fails if it threw nothing. */
  private static Throwable runExpectingFailure(Pipeline pipeline, String why) {
    PipelineResult result;
    try {
      result = pipeline.run();
    } catch (Exception e) {
      return e;
    }
    try {
      result.cancel();
    } catch (Exception ignored) {
      // The assertion below is what matters.
    }
    return fail("run() should have failed (" + why + ") but returned " + result);
  }

  @Test
  void transformWithoutUrnFailsAtRunNamingStepAndUrn() {
    Pipeline p = Pipeline.create(streamScope());
    p.apply("Input", Create.of("a", "b"))
        .apply("Outer", new UnknownTransforms.Wrapping("MysteryStep", new UnknownTransforms.NoUrnPrimitive()));
    Throwable t = runExpectingFailure(p, "a primitive transform without URN");
    String chain = Failures.chain(t);
    assertTrue(chain.contains("Outer/MysteryStep"), () -> "error should name the step Outer/MysteryStep:\n" + chain);
    assertTrue(URN_WORD.matcher(chain).find(), () -> "error should mention the URN:\n" + chain);
  }

  @Test
  void transformWithUnknownUrnFailsAtRunNamingStepAndItsUrn() {
    Pipeline p = Pipeline.create(streamScope());
    p.apply("Input", Create.of("a", "b"))
        .apply("Outer", new UnknownTransforms.Wrapping("UnknownUrnStep", new UnknownTransforms.UnknownUrnPrimitive()));
    Throwable t = runExpectingFailure(p, "a primitive with an unknown URN");
    String chain = Failures.chain(t);
    assertTrue(chain.contains("Outer/UnknownUrnStep"), () -> "error should name the step Outer/UnknownUrnStep:\n" + chain);
    assertTrue(
        chain.contains(UnknownTransforms.UNKNOWN_URN),
        () -> "error should name the URN " + UnknownTransforms.UNKNOWN_URN + ":\n" + chain);
  }

  /** The options below are valid; so a failure of the invalid ones is due to their value. */
  @Test
  void validOptionsAreAccepted() {
    assertDoesNotThrow(() -> Pipeline.create(streamScope()));
    assertDoesNotThrow(() -> Pipeline.create(streamScope("--recoveryStrategy=recompute")));
  }

  /** Builds and runs a trivial pipeline with {@code args}; returns what was thrown on the way. */
  private static Throwable failingRunWith(String... args) {
    validOptionsAreAcceptedPrecondition();
    Pipeline p;
    try {
      p = Pipeline.create(streamScope(args));
      p.apply("Input", Create.of("x"));
    } catch (Exception e) {
      return e; // Rejected by option validation or by the runner's fromOptions.
    }
    return runExpectingFailure(p, "invalid options " + List.of(args));
  }

  /**
   * Precondition of the option tests: the same trivial pipeline with valid options runs to DONE, so
   * a failure with an invalid option is due to that option and not to anything else.
   */
  private static void validOptionsAreAcceptedPrecondition() {
    try {
      Pipeline p = Pipeline.create(streamScope());
      p.apply("Input", Create.of("x"));
      PipelineResult.State state = p.run().waitUntilFinish(DifferentialHarness.RUN_TIMEOUT);
      assertEquals(PipelineResult.State.DONE, state, "precondition: trivial pipeline state");
    } catch (Exception e) {
      fail("precondition: a trivial pipeline with valid StreamScope options must run:\n"
          + Failures.chain(e), e);
    }
  }

  @Test
  void zeroParallelismIsRejectedNamingTheOption() {
    Throwable t = failingRunWith("--parallelism=0");
    String chain = Failures.chain(t);
    assertTrue(chain.contains("parallelism"), () -> "error should name parallelism:\n" + chain);
  }

  @Test
  void unknownRecoveryStrategyIsRejectedListingValidValues() {
    Throwable t = failingRunWith("--recoveryStrategy=bogus");
    String chain = Failures.chain(t);
    assertTrue(chain.contains("recoveryStrategy"), () -> "error should name recoveryStrategy:\n" + chain);
    for (String valid : List.of("recompute", "checkpoint-replay", "persistent", "hybrid")) {
      assertTrue(
          chain.toLowerCase(Locale.ROOT).contains(valid),
          () -> "error should list the valid value " + valid + ":\n" + chain);
    }
  }

}
