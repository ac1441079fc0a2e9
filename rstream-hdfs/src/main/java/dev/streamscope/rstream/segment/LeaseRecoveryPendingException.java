package dev.streamscope.rstream.segment;

import java.io.IOException;

/**
 * A segment left open by a dead (or fenced) writer is being closed by HDFS lease recovery; it can
 * be read reliably once that finishes. Retry later.
 */
public final class LeaseRecoveryPendingException extends IOException {
  public LeaseRecoveryPendingException(String file) {
    super("lease recovery of " + file + " has not finished yet");
  }
}
