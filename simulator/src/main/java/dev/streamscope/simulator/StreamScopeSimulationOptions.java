package dev.streamscope.simulator;

import dev.streamscope.runner.StreamScopePipelineOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/** Options of {@code --runner=StreamScopeSimulation}. */
public interface StreamScopeSimulationOptions extends StreamScopePipelineOptions {
  @Description("Number of seeds to simulate (seeds firstSeed .. firstSeed + seeds - 1).")
  @Default.Integer(8)
  int getSeeds();

  void setSeeds(int seeds);

  @Description("First seed of the range that --seeds runs.")
  @Default.Long(1L)
  long getFirstSeed();

  void setFirstSeed(long firstSeed);

  @Description(
      "Replay exactly this seed (overrides --seeds), e.g. one a failing run printed; it injects"
          + " exactly the --faults given, not a seeded subset of them.")
  Long getSeed();

  void setSeed(Long seed);

  @Description(
      "Faults to inject: all, none, or a comma list of jitter, straggler, clock-skew, slow-disk,"
          + " vertex-crash, worker-crash, fs-write-failure, fs-flush-failure, fs-read-failure,"
          + " torn-write (these four act on persisted rStreams, see --rstreamPersistence),"
          + " restart-delay, message-delay, message-duplication, message-reorder,"
          + " message-loss, network-partition. Each seed switches on a seeded subset of them.")
  @Default.String("all")
  String getFaults();

  void setFaults(String faults);

  @Description(
      "Write the trace of the seed --seed replays to this file: one line per task the simulation"
          + " ran (virtual ms, task number, what ran: a vertex turn, a timer, an I/O call, a fault).")
  String getTraceFile();

  void setTraceFile(String traceFile);

  @Description("Virtual time a run may take before liveness fails it, in milliseconds.")
  @Default.Long(3_600_000L)
  long getSimulationTimeLimitMs();

  void setSimulationTimeLimitMs(long simulationTimeLimitMs);
}
