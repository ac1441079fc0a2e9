package dev.streamscope.translation;

/** A pipeline uses a transform StreamScope cannot run; names the URN and the step. */
public final class UnsupportedTransformException extends IllegalArgumentException {
  public UnsupportedTransformException(String urn, String stepName, String reason) {
    super(
        String.format(
            "StreamScope cannot run step '%s': transform URN %s is not supported%s",
            stepName, urn == null ? "(none: not a known Beam primitive)" : urn,
            reason == null ? "" : " (" + reason + ")"));
  }
}
