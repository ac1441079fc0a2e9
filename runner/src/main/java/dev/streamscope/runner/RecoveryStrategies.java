package dev.streamscope.runner;

import dev.streamscope.vertex.RecoveryStrategy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The recovery strategy of each stage: {@code --recoveryStrategy} for all, overridden per Beam
 * step by {@code --recoveryStrategies=CountWords=recompute,Write=persistent}. A name covers the
 * step of that full name and every step inside it (a composite). Steps fused into one stage share
 * its vertices, so a stage takes the most protective strategy named for any of its steps
 * (persistent, then hybrid, then checkpoint-replay, then recompute).
 */
final class RecoveryStrategies {
  /** Most protective first. */
  private static final List<RecoveryStrategy> BY_PROTECTION =
      List.of(
          RecoveryStrategy.PERSISTENT,
          RecoveryStrategy.HYBRID,
          RecoveryStrategy.CHECKPOINT_REPLAY,
          RecoveryStrategy.RECOMPUTE);

  private final Map<String, RecoveryStrategy> byStage = new LinkedHashMap<>();

  private RecoveryStrategies() {}

  /** Parses {@code --recoveryStrategies}; fails naming the option and the bad entry. */
  static Map<String, RecoveryStrategy> parse(String option) {
    Map<String, RecoveryStrategy> byStep = new LinkedHashMap<>();
    if (option == null || option.isBlank()) {
      return byStep;
    }
    for (String entry : option.split(",")) {
      int equals = entry.lastIndexOf('=');
      if (equals <= 0) {
        throw new IllegalArgumentException(
            "Invalid option --recoveryStrategies=" + option + ": '" + entry
                + "' is not step=strategy");
      }
      String step = entry.substring(0, equals).trim();
      try {
        byStep.put(step, RecoveryStrategy.parse(entry.substring(equals + 1)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "Invalid option --recoveryStrategies=" + option + ": step " + step + ": " + e.getMessage(), e);
      }
    }
    return byStep;
  }

  /**
   * Each stage's strategy. Every step named in {@code byStep} must be (or contain) a step of the
   * job, else the option is refused naming it and the job's steps.
   */
  static RecoveryStrategies of(
      RecoveryStrategy defaultStrategy,
      Map<String, RecoveryStrategy> byStep,
      Map<String, List<String>> stepsByStage) {
    RecoveryStrategies strategies = new RecoveryStrategies();
    Map<String, Boolean> used = new LinkedHashMap<>();
    byStep.keySet().forEach(name -> used.put(name, false));
    for (Map.Entry<String, List<String>> stage : stepsByStage.entrySet()) {
      List<RecoveryStrategy> named = new ArrayList<>();
      for (String step : stage.getValue()) {
        for (Map.Entry<String, RecoveryStrategy> entry : byStep.entrySet()) {
          if (step.equals(entry.getKey()) || step.startsWith(entry.getKey() + "/")) {
            named.add(entry.getValue());
            used.put(entry.getKey(), true);
          }
        }
      }
      RecoveryStrategy strategy = defaultStrategy;
      if (!named.isEmpty()) {
        strategy = BY_PROTECTION.stream().filter(named::contains).findFirst().orElseThrow();
      }
      strategies.byStage.put(stage.getKey(), strategy);
    }
    used.forEach(
        (name, found) -> {
          if (!found) {
            List<String> steps = new ArrayList<>();
            stepsByStage.values().forEach(steps::addAll);
            throw new IllegalArgumentException(
                "Invalid option --recoveryStrategies: no step named " + name + " in the pipeline; its"
                    + " steps are " + steps);
          }
        });
    return strategies;
  }

  RecoveryStrategy ofStage(String stageId) {
    RecoveryStrategy strategy = byStage.get(stageId);
    if (strategy == null) {
      throw new IllegalArgumentException("No stage " + stageId);
    }
    return strategy;
  }
}
