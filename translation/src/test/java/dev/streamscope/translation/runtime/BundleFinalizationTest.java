package dev.streamscope.translation.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

class BundleFinalizationTest {
  @Test
  void callbacksRunOnceAfterTheBundleUnlessExpired() throws Exception {
    BundleFinalization finalization = new BundleFinalization();
    List<String> ran = new ArrayList<>();
    finalization.afterBundleCommit(new Instant(1_000), () -> ran.add("a"));
    finalization.afterBundleCommit(new Instant(10), () -> ran.add("expired"));
    finalization.afterBundleCommit(new Instant(1_000), () -> ran.add("b"));
    assertEquals(List.of(), ran);
    finalization.bundleCommitted(500);
    assertEquals(List.of("a", "b"), ran);
    finalization.bundleCommitted(600);
    assertEquals(List.of("a", "b"), ran);
  }
}
