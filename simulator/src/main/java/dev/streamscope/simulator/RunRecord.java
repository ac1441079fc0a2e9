package dev.streamscope.simulator;

import java.util.Map;

/**
 * What one simulated run did: how it ended, when (virtual time), and what it wrote.
 *
 * @param failure the job's failure, or null if it finished
 * @param finished true if the job finished within the virtual time bound
 * @param restarts vertex restarts the run needed (crashes recovered)
 */
public record RunRecord(
    long seed,
    boolean finished,
    Throwable failure,
    long virtualMillis,
    long wallMillis,
    long tasks,
    int restarts,
    long traceHash,
    Map<String, StreamLog> streams) {}
