package org.apache.beam.sdk.io;

import java.nio.file.Path;
import org.apache.beam.sdk.io.fs.ResourceId;

/**
 * Makes Beam's own local {@link ResourceId}s, whose class is package-private. The simulator's
 * overlay of the local file system ({@code dev.streamscope.simulator.OverlayFileSystem}) hands
 * out the same kind of id as Beam's local file system: ids made while the pipeline was built are
 * local ones, and ids compare equal only within one class.
 */
public final class LocalResourceIds {
  private LocalResourceIds() {}

  public static ResourceId of(Path path, boolean isDirectory) {
    return LocalResourceId.fromPath(path, isDirectory);
  }
}
