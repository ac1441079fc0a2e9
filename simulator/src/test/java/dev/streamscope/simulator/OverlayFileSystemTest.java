package dev.streamscope.simulator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MatchResult.Metadata;
import org.apache.beam.sdk.io.fs.MoveOptions.StandardMoveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.util.MimeTypes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Beam's file API on the simulation's overlay: the run sees its writes, the disk does not. */
class OverlayFileSystemTest {
  @TempDir Path disk;

  private static ResourceId file(Path path) {
    return FileSystems.matchNewResource(path.toString(), false);
  }

  private static void write(Path path, String text) throws IOException {
    try (WritableByteChannel channel = FileSystems.create(file(path), MimeTypes.TEXT)) {
      channel.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
    }
  }

  private static String read(Path path) throws IOException {
    try (ReadableByteChannel channel = FileSystems.open(file(path))) {
      return new String(Channels.newInputStream(channel).readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static List<String> matched(String spec) throws IOException {
    MatchResult result = FileSystems.match(spec);
    if (result.status() != MatchResult.Status.OK) {
      return List.of();
    }
    return result.metadata().stream().map(Metadata::resourceId).map(ResourceId::getFilename).toList();
  }

  @Test
  void aRunSeesItsOwnFilesOverTheDiskAndTheDiskSeesNothingUntilApplied() throws Exception {
    Files.writeString(disk.resolve("input.txt"), "from the disk\n");
    Files.writeString(disk.resolve("old-output.txt"), "stale\n");
    LocalFilesOverlay overlay = new LocalFilesOverlay();
    try (OverlayFileSystem.Installation installed =
        OverlayFileSystem.install(PipelineOptionsFactory.create())) {
      OverlayFileSystem.using(overlay, () -> {
        try {
          assertEquals("from the disk\n", read(disk.resolve("input.txt")));
          write(disk.resolve("out/tmp/part-0"), "a\nb\n");
          write(disk.resolve("out/tmp/part-1"), "c\n");
          write(disk.resolve("out-b"), "beside, not below, out/\n");
          assertEquals(List.of("part-0", "part-1"), matched(disk.resolve("out/tmp/*").toString()));
          assertEquals(List.of("part-0", "part-1"), matched(disk.resolve("out/**").toString()));
          FileSystems.rename(
              List.of(file(disk.resolve("out/tmp/part-0")), file(disk.resolve("out/tmp/part-1"))),
              List.of(file(disk.resolve("out/final-0")), file(disk.resolve("out/final-1"))),
              StandardMoveOptions.IGNORE_MISSING_FILES);
          FileSystems.delete(List.of(file(disk.resolve("old-output.txt"))));
          assertEquals("a\nb\n", read(disk.resolve("out/final-0")));
          assertEquals(List.of("final-0", "final-1"), matched(disk.resolve("out/*").toString()));
          assertEquals(List.of(), matched(disk.resolve("out/tmp/*").toString()));
          assertThrows(FileNotFoundException.class, () -> read(disk.resolve("old-output.txt")));
          try (SeekableByteChannel channel =
              (SeekableByteChannel) FileSystems.open(file(disk.resolve("out/final-0")))) {
            channel.position(2); // splittable reads start at an offset
            assertEquals("b\n", new String(Channels.newInputStream(channel).readAllBytes(), StandardCharsets.UTF_8));
          }
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
        return null;
      });
    }
    // Nothing reached the disk during the run.
    assertFalse(Files.exists(disk.resolve("out")));
    assertFalse(Files.exists(disk.resolve("out-b")));
    assertTrue(Files.exists(disk.resolve("old-output.txt")));
    assertEquals(
        List.of(disk.resolve("out-b"), disk.resolve("out/final-0"), disk.resolve("out/final-1")),
        List.copyOf(overlay.written().keySet()));
    assertEquals(List.of(disk.resolve("old-output.txt")), List.copyOf(overlay.deleted()));

    overlay.applyToDisk();
    assertEquals("a\nb\n", Files.readString(disk.resolve("out/final-0")));
    assertEquals("c\n", Files.readString(disk.resolve("out/final-1")));
    assertFalse(Files.exists(disk.resolve("old-output.txt")));
    assertFalse(Files.exists(disk.resolve("out/tmp")));
  }

  @Test
  void closedTheInstallationGivesBeamItsLocalFileSystemBack() throws Exception {
    try (OverlayFileSystem.Installation installed =
        OverlayFileSystem.install(PipelineOptionsFactory.create())) {
      IllegalStateException outsideARun =
          assertThrows(IllegalStateException.class, () -> write(disk.resolve("x"), "x"));
      assertTrue(outsideARun.getMessage().contains("no simulated run is under way"), outsideARun.getMessage());
    }
    write(disk.resolve("after"), "on the disk\n");
    assertArrayEquals("on the disk\n".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(disk.resolve("after")));
  }
}
