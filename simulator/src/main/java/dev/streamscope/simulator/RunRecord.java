package dev.streamscope.simulator;

import java.util.List;
import java.util.Map;

/**
 * What one simulated run did: how it ended, when (virtual time), and what it wrote.
 *
 * @param failure the job's failure, or null if it finished
 * @param finished true if the job finished within the virtual time bound
 * @param stalled true if the job did not finish and nothing was left to run (vertices waiting for
 *     something that will never come)
 * @param restarts vertex restarts the run needed (crashes recovered)
 * @param durabilityLosses one line per rStream that came back from a crash of its writer's
 *     process shorter than it had reported durable
 * @param probes how often each fault struck and each rare path was reached, by name
 * @param files what the pipeline's own code (a file sink) did to the local file system, kept in
 *     memory
 */
public record RunRecord(
    long seed,
    boolean finished,
    boolean stalled,
    Throwable failure,
    long virtualMillis,
    long wallMillis,
    long tasks,
    int restarts,
    long traceHash,
    Map<String, StreamLog> streams,
    List<String> durabilityLosses,
    Map<String, Long> probes,
    LocalFilesOverlay files) {}
