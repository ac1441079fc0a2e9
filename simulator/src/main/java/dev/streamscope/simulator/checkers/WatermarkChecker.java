package dev.streamscope.simulator.checkers;

import dev.streamscope.simulator.RunRecord;
import dev.streamscope.simulator.StreamLog;
import java.util.Map;
import java.util.Optional;

/** Watermarks: on every rStream, punctuation watermarks never go backwards. */
public final class WatermarkChecker implements Checker {
  @Override
  public String name() {
    return "watermarks";
  }

  @Override
  public Optional<String> check(RunRecord reference, RunRecord run) {
    for (Map.Entry<String, StreamLog> entry : run.streams().entrySet()) {
      if (entry.getValue().watermarkRegressionSeq() >= 0) {
        return Optional.of(
            "stream " + entry.getKey() + ": watermark went backwards at seq "
                + entry.getValue().watermarkRegressionSeq());
      }
    }
    return Optional.empty();
  }
}
