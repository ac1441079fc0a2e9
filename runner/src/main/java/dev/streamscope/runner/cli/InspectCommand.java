package dev.streamscope.runner.cli;

import dev.streamscope.rstream.persist.RStreamFileSystems;
import dev.streamscope.rstream.segment.CorruptSegmentException;
import dev.streamscope.rstream.segment.PayloadFormat;
import dev.streamscope.rstream.segment.SegmentFormat;
import dev.streamscope.rstream.segment.SegmentReader;
import dev.streamscope.rstream.segment.SegmentScan;
import dev.streamscope.rstream.segment.SegmentScanner;
import dev.streamscope.rstream.segment.StreamInspector;
import dev.streamscope.translation.runtime.StreamPayloads;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code streamscope inspect <rstream root, job, stream directory or segment> [--dump]}: lists
 * the persisted rStreams below the path, their segments, seq ranges and durable seq, verifying
 * every checksum; {@code --dump} also prints every record, its data decoded (value, timestamp,
 * windows, pane) when the stream directory holds the {@link PayloadFormat} the runner writes
 * (and its coder's classes are on the class path), else in hex. Read-only: nothing is truncated
 * or repaired.
 */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    description = "Lists persisted rStreams and their segments, verifying every checksum.",
    footer = {
      "",
      "PATH is a local path or a Hadoop FileSystem URI (file:, hdfs://...): an rStream root, a",
      "job directory, a stream directory or one segment file (*" + SegmentFormat.SEGMENT_SUFFIX + ").",
      "",
      "Exit codes: 0 every checksum verified (torn tails, which a crashed writer leaves, are",
      "reported but fine), 1 corruption or a hole found, 2 usage error or PATH not found."
    })
final class InspectCommand implements Callable<Integer> {
  @Spec private CommandSpec spec;

  @Parameters(index = "0", paramLabel = "PATH", description = "What to inspect.")
  private String target;

  @Option(
      names = "--dump",
      description =
          "Also print every record: seq, kind, offset, and its element decoded with the stream's"
              + " coder (value, timestamp, windows, pane) if the runner recorded it, else in hex.")
  private boolean dump;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    URI uri = toUri(target);
    try (FileSystem fs = RStreamFileSystems.forUri(uri)) {
      Path path = new Path(uri);
      FileStatus status;
      try {
        status = fs.getFileStatus(path);
      } catch (java.io.FileNotFoundException e) {
        err.println("error: " + target + " does not exist");
        return StreamScopeCli.EXIT_USAGE;
      }
      boolean healthy =
          status.isFile() ? inspectSegment(fs, path, out) : inspectTree(fs, path, out);
      return healthy ? 0 : StreamScopeCli.EXIT_FAILURE;
    }
  }

  /** A URI as given, or a local path made absolute; without a trailing '/' (it names the stream). */
  private static URI toUri(String target) {
    URI uri =
        target.matches("[A-Za-z][A-Za-z0-9+.-]*:.*") && !target.matches("[A-Za-z]:\\\\.*")
            ? URI.create(target)
            : Paths.get(target).toAbsolutePath().normalize().toUri();
    String text = uri.toString();
    return uri.getPath() != null && uri.getPath().length() > 1 && text.endsWith("/")
        ? URI.create(text.substring(0, text.length() - 1))
        : uri;
  }

  private boolean inspectTree(FileSystem fs, Path root, PrintWriter out) throws IOException {
    List<StreamInspector.StreamReport> reports = StreamInspector.inspectTree(fs, root);
    if (reports.isEmpty()) {
      out.println("No rStream segments under " + root);
      return true;
    }
    int segments = 0;
    long records = 0;
    int problems = 0;
    for (StreamInspector.StreamReport report : reports) {
      out.printf("rStream %s%n  directory %s%n", report.streamId(), report.dir());
      StreamPayloads.Decoder decoder = dump ? decoderFor(fs, report.dir(), out) : null;
      for (StreamInspector.SegmentReport segment : report.segments()) {
        out.println("  " + describe(segment));
        if (dump && !segment.corrupt()) {
          dumpRecords(fs, segment.path(), decoder, out);
        }
      }
      out.printf(
          "  seqs [%d, %d) durable, %d records verified%s%n",
          report.floorSeq(),
          report.durableSeq(),
          report.recordsVerified(),
          report.problems().isEmpty() ? "" : ", " + report.problems().size() + " problem(s):");
      for (String problem : report.problems()) {
        out.println("    PROBLEM: " + problem);
      }
      segments += report.segments().size();
      records += report.recordsVerified();
      problems += report.problems().size();
    }
    out.printf(
        "%d rStream(s), %d segment(s), %d record(s) verified, %s%n",
        reports.size(), segments, records, problems == 0 ? "no problems" : problems + " problem(s)");
    return problems == 0;
  }

  private boolean inspectSegment(FileSystem fs, Path path, PrintWriter out) throws IOException {
    try {
      SegmentScan scan = SegmentScanner.scan(fs, path, null);
      out.println(describe(new StreamInspector.SegmentReport(path, scan, null)));
      if (scan.header() != null) {
        out.printf("  rStream %s, segment number %d%n", scan.header().streamId(), scan.number());
      }
      if (dump) {
        dumpRecords(fs, path, decoderFor(fs, path.getParent(), out), out);
      }
      return true;
    } catch (CorruptSegmentException e) {
      out.println(path.getName() + " PROBLEM: " + e.getMessage());
      return false;
    }
  }

  private static String describe(StreamInspector.SegmentReport segment) {
    String name = segment.path().getName();
    if (segment.corrupt()) {
      return name + "  CORRUPT: " + segment.problem();
    }
    SegmentScan scan = segment.scan();
    if (scan.tornHeader()) {
      return name + "  torn inside its header (" + scan.tornBytes() + " bytes): holds nothing";
    }
    String torn =
        scan.tornTail()
            ? String.format("  torn tail: %d bytes after offset %d", scan.tornBytes(), scan.validLength())
            : "";
    return String.format(
        "%s  seqs [%d, %d)  %d records  %d bytes  checksums ok%s",
        name, scan.firstSeq(), scan.endSeq(), scan.recordCount(), scan.validLength(), torn);
  }

  /**
   * Decodes the payloads of the stream in {@code dir} if it has a payload format this build reads;
   * else null (hex), saying why.
   */
  private static StreamPayloads.Decoder decoderFor(FileSystem fs, Path dir, PrintWriter out) {
    try {
      PayloadFormat format = PayloadFormat.read(fs, dir);
      if (format == null) {
        out.println("  payloads in hex: the stream has no " + PayloadFormat.FILE_NAME + " file");
        return null;
      }
      StreamPayloads.Decoder decoder = StreamPayloads.decoder(format);
      out.println("  payloads decoded (" + format.encoding() + ")");
      return decoder;
    } catch (IOException | IllegalArgumentException e) {
      out.println("  payloads in hex: " + e.getMessage());
      return null;
    }
  }

  private static void dumpRecords(
      FileSystem fs, Path path, StreamPayloads.Decoder decoder, PrintWriter out) throws IOException {
    try (SegmentReader reader = SegmentReader.open(fs, path)) {
      while (reader.next()) {
        out.print(
            String.format(
                "    seq %d  %s  @%d  %d bytes", reader.seq(), reader.kind(), reader.recordOffset(), reader.payloadLength()));
        switch (reader.kind()) {
          case DATA:
            out.println("  " + data(reader, decoder));
            break;
          case WATERMARK:
            long millis = reader.event().watermarkMillis();
            out.println("  watermark " + millis + " (" + instant(millis) + ")");
            break;
          default:
            out.println("  end of stream");
            break;
        }
      }
    }
  }

  /** The element decoded, or its bytes in hex (with the reason if decoding failed). */
  private static String data(SegmentReader reader, StreamPayloads.Decoder decoder) {
    String hex = hex(reader.payloadBuffer(), reader.payloadLength());
    if (decoder == null) {
      return hex;
    }
    try {
      return decoder.describe(reader.event().payload());
    } catch (Exception e) {
      return hex + "  (undecodable: " + e + ")";
    }
  }

  private static String instant(long millis) {
    try {
      return Instant.ofEpochMilli(millis).toString();
    } catch (java.time.DateTimeException e) {
      return millis == Long.MAX_VALUE ? "end of time" : millis == Long.MIN_VALUE ? "start of time" : "?";
    }
  }

  private static String hex(byte[] bytes, int length) {
    StringBuilder hex = new StringBuilder(length * 3);
    for (int i = 0; i < length; i++) {
      if (i > 0) {
        hex.append(' ');
      }
      hex.append(Character.forDigit((bytes[i] >> 4) & 0xF, 16)).append(Character.forDigit(bytes[i] & 0xF, 16));
    }
    return hex.toString();
  }
}
