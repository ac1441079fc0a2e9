package dev.streamscope.runner.examples;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MoveOptions.StandardMoveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;

/**
 * The text files an example writes with {@code TextIO.write().to(prefix).withSuffix(".txt")}, read
 * and removed through Beam's {@link FileSystems}, so any file system the pipeline can write to
 * works.
 */
public final class ResultFiles {
  /** Suffix of every result file. */
  public static final String SUFFIX = ".txt";

  private ResultFiles() {}

  /** The file name prefix {@code name} inside directory {@code outputDirectory}. */
  public static String prefix(String outputDirectory, String name) {
    return outputDirectory.endsWith("/") ? outputDirectory + name : outputDirectory + "/" + name;
  }

  /** Deletes the shards a previous run wrote under {@code prefix}, so they are not read back. */
  public static void deleteOld(String prefix) throws IOException {
    List<ResourceId> old = new ArrayList<>();
    for (MatchResult.Metadata file : match(prefix)) {
      old.add(file.resourceId());
    }
    FileSystems.delete(old, StandardMoveOptions.IGNORE_MISSING_FILES);
  }

  /** All lines of all shards written under {@code prefix}, shard after shard. */
  public static List<String> readLines(String prefix) throws IOException {
    List<MatchResult.Metadata> files = new ArrayList<>(match(prefix));
    files.sort((a, b) -> a.resourceId().toString().compareTo(b.resourceId().toString()));
    List<String> lines = new ArrayList<>();
    for (MatchResult.Metadata file : files) {
      try (BufferedReader reader =
          new BufferedReader(
              Channels.newReader(
                  FileSystems.open(file.resourceId()), StandardCharsets.UTF_8.newDecoder(), -1))) {
        reader.lines().forEach(lines::add);
      }
    }
    return lines;
  }

  private static List<MatchResult.Metadata> match(String prefix) throws IOException {
    return FileSystems.match(prefix + "-*-of-*" + SUFFIX, EmptyMatchTreatment.ALLOW).metadata();
  }
}
