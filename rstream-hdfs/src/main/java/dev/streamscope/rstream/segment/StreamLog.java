package dev.streamscope.rstream.segment;

import dev.streamscope.rstream.StreamEvent;
import dev.streamscope.rstream.TestHooks;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LeaseRecoverable;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The persisted side of one rStream: its segment files in one directory, with the coverage rule
 * and index of the package documentation. Every method that touches the file system blocks, so
 * callers run them through {@code StreamIo.executeBlocking}.
 *
 * <p>Rolling: a full segment is only set aside by the flush chain ({@link #append} with a {@link
 * RecordBuffer}); {@link #sealRolled} closes it and writes its sidecar, beside the appends to the
 * next segment. Its records were flushed before it was set aside, so closing it adds nothing to
 * their durability, and on HDFS a close takes long: {@code DFSOutputStream.completeFile} polls the
 * namenode, sleeping 400 ms, 800 ms, ... ({@code
 * dfs.client.block.write.locateFollowingBlock.initial.delay.ms}), until the datanodes reported the
 * last block. Until it is sealed a segment is the writer's: reads do not recover its lease, GC
 * does not delete it.
 *
 * <p>Threading: {@link #append}, {@link #abandonActive} and {@link #closeActive} form the flush
 * chain and must run one at a time (the stream starts the next only after the previous
 * completed); {@link #sealRolled} must not run concurrently with itself nor with {@link
 * #closeActive}; {@link #read} and {@link #deleteBelow} may run concurrently with all of them and
 * with each other. The segment list is guarded by this object's monitor.
 */
public final class StreamLog {
  private static final Logger LOG = LoggerFactory.getLogger(StreamLog.class);
  /** Gives the flush chain the events to persist, by seq (in increasing order). */
  @FunctionalInterface
  public interface EventSource {
    StreamEvent event(long seq);
  }

  /**
   * What one {@link #append} made durable.
   *
   * @param endSeq one past the last seq now durable
   * @param eventBytes sum of {@link StreamEvent#sizeBytes()} of the appended events
   */
  public record Appended(long endSeq, long eventBytes) {}

  /** One segment file as the log knows it. */
  private static final class Segment {
    final long number;
    final Path path;
    final long firstSeq;
    final long headerBytes;
    final SegmentIndex index;
    long endSeq;
    long lengthBytes;
    SegmentAppender unsealed; // open for writing (active or rolled) until sealed

    Segment(long number, Path path, long firstSeq, long headerBytes, SegmentIndex index) {
      this.number = number;
      this.path = path;
      this.firstSeq = firstSeq;
      this.headerBytes = headerBytes;
      this.index = index;
      this.endSeq = firstSeq;
    }
  }

  private final FileSystem fs;
  private final Path dir;
  private final String streamId;
  private final FlushMode flushMode;
  private final long segmentBytesMax;
  private final PayloadFormat payloadFormat; // null if unknown
  private final List<Segment> segments = new ArrayList<>(); // by number; guarded by this
  private long nextNumber; // guarded by this
  private int indexedAtRecovery;

  // The flush chain's own state.
  private SegmentAppender active;
  private boolean payloadFormatWritten;
  private Segment activeSegment; // guarded by this
  private final BatchWriter batch = new BatchWriter();

  private StreamLog(
      FileSystem fs,
      Path dir,
      String streamId,
      FlushMode flushMode,
      long segmentBytesMax,
      PayloadFormat payloadFormat) {
    if (segmentBytesMax < 1) {
      throw new IllegalArgumentException("segmentBytesMax must be >= 1, was " + segmentBytesMax);
    }
    this.fs = fs;
    this.dir = dir;
    this.streamId = streamId;
    this.flushMode = flushMode;
    this.segmentBytesMax = segmentBytesMax;
    this.payloadFormat = payloadFormat;
  }

  /** The log of a new stream whose directory does not exist yet; does no I/O. */
  public static StreamLog create(
      FileSystem fs, Path dir, String streamId, FlushMode flushMode, long segmentBytesMax) {
    return create(fs, dir, streamId, flushMode, segmentBytesMax, null);
  }

  /**
   * The log of a new stream that also writes its {@link PayloadFormat} (if not null) into its
   * directory, with its first segment; does no I/O.
   */
  public static StreamLog create(
      FileSystem fs,
      Path dir,
      String streamId,
      FlushMode flushMode,
      long segmentBytesMax,
      PayloadFormat payloadFormat) {
    return new StreamLog(fs, dir, streamId, flushMode, segmentBytesMax, payloadFormat);
  }

  /**
   * Opens the log of a stream whose writer may have died. A segment with a usable index sidecar
   * (sealed: rolled, closed, or recovered before) is taken from it after reading its header; its
   * records are verified when read. Every other segment — at least the one the writer had open —
   * is scanned with every checksum verified, and gets a sidecar. Segments torn inside their
   * header are deleted, torn tails truncated where the file system allows (the bytes are ignored
   * either way), and the segments must cover one contiguous range of seqs. New appends go to a
   * new segment.
   *
   * @throws CorruptSegmentException on a checksum mismatch, a foreign segment or a hole
   */
  public static StreamLog recover(
      FileSystem fs, Path dir, String streamId, FlushMode flushMode, long segmentBytesMax)
      throws IOException {
    StreamLog log = new StreamLog(fs, dir, streamId, flushMode, segmentBytesMax, null);
    FileStatus[] files;
    try {
      files = fs.listStatus(dir);
    } catch (FileNotFoundException e) {
      return log;
    }
    List<FileStatus> segmentFiles = new ArrayList<>();
    Set<String> sidecars = new HashSet<>();
    for (FileStatus file : files) {
      if (file.isFile() && SegmentFormat.numberOf(file.getPath().getName()) >= 0) {
        segmentFiles.add(file);
      } else if (file.isFile() && file.getPath().getName().endsWith(SegmentIndexFile.SUFFIX)) {
        sidecars.add(file.getPath().getName());
      }
    }
    segmentFiles.sort(Comparator.comparingLong(f -> SegmentFormat.numberOf(f.getPath().getName())));
    Segment previous = null;
    for (FileStatus file : segmentFiles) {
      Path path = file.getPath();
      long number = SegmentFormat.numberOf(path.getName());
      log.nextNumber = number + 1;
      // A segment the dead writer left open: take its lease (this also fences a writer that is
      // not quite dead) so that its length is final before it is scanned.
      if (!log.closeIfOpen(path)) {
        throw new LeaseRecoveryPendingException(path.toString());
      }
      Segment segment = null;
      if (sidecars.contains(SegmentIndexFile.pathOf(path).getName())) {
        segment = log.fromIndexFile(number, path, file.getLen());
      }
      if (segment == null) {
        segment = log.scanSegment(number, path);
        if (segment == null) {
          continue; // Torn inside its header: deleted.
        }
      }
      if (previous != null && (segment.firstSeq < previous.firstSeq || segment.firstSeq > previous.endSeq)) {
        throw new CorruptSegmentException(
            path.toString(),
            16,
            "starts at seq " + segment.firstSeq + " but the previous segment " + previous.path.getName()
                + " covers [" + previous.firstSeq + ", " + previous.endSeq + "): a hole or overlap out of order");
      }
      log.segments.add(segment);
      previous = segment;
    }
    return log;
  }

  /** A segment as its index sidecar describes it, or null (logged) if the sidecar is unusable. */
  private Segment fromIndexFile(long number, Path path, long fileLengthBytes) {
    try {
      SegmentHeader header = SegmentReader.readHeader(fs, path);
      if (header == null || !header.streamId().equals(streamId)) {
        return null; // The scan reports it.
      }
      SegmentIndexFile sidecar = SegmentIndexFile.read(fs, path, header, fileLengthBytes);
      Segment segment = new Segment(number, path, header.firstSeq(), header.lengthBytes(), sidecar.index());
      segment.endSeq = sidecar.endSeq();
      segment.lengthBytes = sidecar.lengthBytes();
      indexedAtRecovery++;
      return segment;
    } catch (IOException e) {
      LOG.info("rStream {}: scanning {}: {}", streamId, path.getName(), e.getMessage());
      return null;
    }
  }

  /**
   * Scans a segment at recovery, verifying every record; truncates a torn tail and writes the
   * index sidecar. Returns null after deleting a segment torn inside its header.
   */
  private Segment scanSegment(long number, Path path) throws IOException {
    SegmentScan scan = SegmentScanner.scan(fs, path, null);
    if (scan.tornHeader()) {
      LOG.info("rStream {}: deleting segment {}, torn inside its header", streamId, path);
      deleteQuietly(fs, SegmentIndexFile.pathOf(path));
      deleteQuietly(fs, path);
      return null;
    }
    if (!scan.header().streamId().equals(streamId)) {
      throw new CorruptSegmentException(
          path.toString(), 26, "belongs to rStream '" + scan.header().streamId() + "', not '" + streamId + "'");
    }
    if (scan.tornTail()) {
      truncateQuietly(fs, path, scan.validLength(), scan.tornBytes(), streamId);
    }
    Segment segment = new Segment(number, path, scan.firstSeq(), scan.header().lengthBytes(), scan.index());
    segment.endSeq = scan.endSeq();
    segment.lengthBytes = scan.validLength();
    writeIndexFileQuietly(segment); // Final from now on: a recovered log appends to a new segment.
    return segment;
  }

  /**
   * Writes the sidecar of a segment that will not change any more. A failure only costs a scan
   * at the next recovery, so it is logged, not thrown.
   */
  private void writeIndexFileQuietly(Segment segment) {
    SegmentIndexFile sidecar;
    synchronized (this) {
      sidecar =
          new SegmentIndexFile(segment.number, segment.firstSeq, segment.endSeq, segment.lengthBytes, segment.index);
    }
    try {
      sidecar.write(fs, segment.path);
    } catch (IOException | RuntimeException e) {
      LOG.info("rStream {}: could not write the index of {}: {}", streamId, segment.path.getName(), e.toString());
    }
  }

  private static void truncateQuietly(
      FileSystem fs, Path path, long validLength, long tornBytes, String streamId) {
    try {
      fs.truncate(path, validLength);
      LOG.info("rStream {}: truncated a torn tail of {} bytes from {}", streamId, tornBytes, path);
    } catch (IOException | UnsupportedOperationException e) {
      LOG.info("rStream {}: torn tail of {} ({} bytes) left in place: {}", streamId, path, tornBytes, e.toString());
    }
  }

  /**
   * On a file system with leases (HDFS): if {@code path} is still open for writing, starts lease
   * recovery, which revokes the writer's lease and closes the file at its final length.
   *
   * @return true if the file is closed (or the file system has no leases)
   */
  private boolean closeIfOpen(Path path) throws IOException {
    if (!(fs instanceof LeaseRecoverable leases) || leases.isFileClosed(path)) {
      return true;
    }
    LOG.info("rStream {}: recovering the lease of {}, left open by its writer", streamId, path);
    return leases.recoverLease(path);
  }

  private static void deleteQuietly(FileSystem fs, Path path) {
    try {
      fs.delete(path, false);
    } catch (IOException e) {
      LOG.info("could not delete {}: {}", path, e.toString());
    }
  }

  /** The lowest seq the segments hold (the end seq if there are none). */
  public synchronized long floorSeq() {
    return segments.isEmpty() ? endSeq() : segments.get(0).firstSeq;
  }

  /** One past the highest seq the segments cover: the durable seq of a recovered stream. */
  public synchronized long endSeq() {
    return segments.isEmpty() ? 0 : segments.get(segments.size() - 1).endSeq;
  }

  public synchronized int segmentCount() {
    return segments.size();
  }

  /** Segments {@link #recover} took from their index sidecar, without a scan. */
  public int indexedAtRecovery() {
    return indexedAtRecovery;
  }

  /** Bytes of intact records and headers in the live segments. */
  public synchronized long diskBytes() {
    long total = 0;
    for (Segment segment : segments) {
      total += segment.lengthBytes;
    }
    return total;
  }

  public Path dir() {
    return dir;
  }

  // ---------------------------------------------------------------------------------------------
  // The flush chain

  /**
   * Appends the events {@code [fromSeq, toSeq)} — or a prefix of at least one event holding about
   * {@code maxBytes} — like {@link #append(RecordBuffer, long, long, long)}, encoding them first,
   * and seals a segment it rolled at once. For tests and tools; streams encode their events as
   * they are written.
   *
   * @return what is now durable
   */
  public Appended append(EventSource events, long fromSeq, long toSeq, long maxBytes)
      throws IOException {
    RecordBuffer records = new RecordBuffer(fromSeq, 0);
    long end = fromSeq;
    long bytes = 0;
    long eventBytes = 0;
    while (end < toSeq && (bytes < maxBytes || end == fromSeq)) {
      StreamEvent event = events.event(end);
      records.append(event);
      bytes += SegmentFormat.recordBytes(event);
      eventBytes += event.sizeBytes();
      end++;
    }
    Appended appended = new Appended(append(records, fromSeq, end, Long.MAX_VALUE), eventBytes);
    sealRolled();
    return appended;
  }

  /**
   * Appends the records of {@code [fromSeq, toSeq)} — or of a prefix holding at least {@code
   * maxBytes} (or one block of {@code records}) — to the active segment (a new one starting at
   * {@code fromSeq} if there is none), one write per block and one flush in all, and sets the
   * segment aside once it is full, for {@link #sealRolled}.
   *
   * @return one past the last seq now durable
   */
  public long append(RecordBuffer records, long fromSeq, long toSeq, long maxBytes)
      throws IOException {
    if (fromSeq >= toSeq) {
      throw new IllegalArgumentException("empty batch [" + fromSeq + ", " + toSeq + ")");
    }
    if (active == null) {
      openSegment(fromSeq);
    } else if (activeSegment.endSeq != fromSeq) {
      throw new IllegalStateException(
          "rStream " + streamId + ": batch starts at " + fromSeq + " but the segment ends at " + activeSegment.endSeq);
    }
    batch.start();
    long end = records.read(fromSeq, toSeq, maxBytes, batch);
    if (!TestHooks.skipFlushBeforeDurable) {
      active.flush(flushMode);
    }
    synchronized (this) {
      for (int i = 0; i < batch.indexed; i++) {
        activeSegment.index.add(batch.indexSeqs[i], batch.indexOffsets[i]);
      }
      activeSegment.endSeq = end;
      activeSegment.lengthBytes = active.length();
    }
    if (active.length() >= segmentBytesMax) {
      roll();
    }
    return end;
  }

  /** Sets the active segment aside for {@link #sealRolled}; the next append opens a new one. */
  private void roll() {
    active = null;
    synchronized (this) {
      activeSegment = null;
    }
  }

  /** How many segments were rolled and wait for {@link #sealRolled}. */
  public synchronized int rolledCount() {
    int rolled = 0;
    for (Segment segment : segments) {
      if (isRolled(segment)) {
        rolled++;
      }
    }
    return rolled;
  }

  /** Set aside full and still open, waiting for {@link #sealRolled}; under this monitor. */
  private boolean isRolled(Segment segment) {
    return segment.unsealed != null && segment != activeSegment;
  }

  /**
   * Closes the segments rolled so far, oldest first, and writes their sidecars. A failed close
   * costs nothing acknowledged (the records were flushed before the roll): it is logged, and the
   * file system is asked to close the file (lease recovery), so readers get its length; recovery
   * then scans it.
   */
  public void sealRolled() {
    List<Segment> rolled = new ArrayList<>();
    synchronized (this) {
      for (Segment segment : segments) {
        if (isRolled(segment)) {
          rolled.add(segment);
        }
      }
    }
    for (Segment segment : rolled) {
      SegmentAppender appender;
      synchronized (this) {
        appender = segment.unsealed;
      }
      try {
        appender.close();
        writeIndexFileQuietly(segment);
      } catch (IOException | RuntimeException e) {
        LOG.warn("rStream {}: closing full segment {} failed (its records are flushed): {}", streamId, segment.path, e.toString());
        closeIfOpenQuietly(segment.path);
      }
      synchronized (this) {
        segment.unsealed = null; // Only now may GC delete it: its sidecar is written.
      }
    }
  }

  /**
   * Writes the blocks of one batch to the active segment and notes an index entry at each: they
   * are at most {@link RecordBuffer#BLOCK_BYTES} = {@link SegmentFormat#INDEX_INTERVAL_BYTES}
   * apart. The entries join the segment's index once the batch is flushed.
   */
  private final class BatchWriter implements RecordBuffer.Sink {
    long[] indexSeqs = new long[64];
    long[] indexOffsets = new long[64];
    int indexed;

    void start() {
      indexed = 0;
    }

    @Override
    public void write(long firstSeq, byte[] bytes, int offset, int length) throws IOException {
      if (indexed == indexSeqs.length) {
        indexSeqs = Arrays.copyOf(indexSeqs, indexed * 2);
        indexOffsets = Arrays.copyOf(indexOffsets, indexed * 2);
      }
      indexSeqs[indexed] = firstSeq;
      indexOffsets[indexed] = active.length();
      indexed++;
      active.append(bytes, offset, length);
    }
  }

  private void openSegment(long firstSeq) throws IOException {
    if (payloadFormat != null && !payloadFormatWritten) {
      payloadFormatWritten = true;
      try {
        payloadFormat.write(fs, dir);
      } catch (IOException | RuntimeException e) {
        // Only tools read it; the stream goes on without.
        LOG.info("rStream {}: could not write its payload format: {}", streamId, e.toString());
      }
    }
    long number;
    synchronized (this) {
      number = nextNumber++;
    }
    SegmentAppender appender = SegmentAppender.create(fs, dir, streamId, number, firstSeq);
    Segment segment =
        new Segment(number, appender.path(), firstSeq, appender.length(), new SegmentIndex());
    segment.lengthBytes = appender.length();
    segment.unsealed = appender;
    synchronized (this) {
      segments.add(segment);
      activeSegment = segment;
    }
    active = appender;
  }

  /**
   * Gives up the active segment after a failed append: closes it as well as it can; the next
   * append starts a new segment at the durable seq, which supersedes whatever the broken one holds
   * beyond it.
   */
  public void abandonActive() {
    SegmentAppender broken = active;
    active = null;
    synchronized (this) {
      if (activeSegment != null) {
        activeSegment.unsealed = null; // Not to be sealed: no sidecar, recovery scans it.
      }
      activeSegment = null;
    }
    if (broken != null) {
      try {
        broken.close();
      } catch (IOException | RuntimeException e) {
        LOG.debug("rStream {}: closing broken segment {} failed: {}", streamId, broken.path(), e.toString());
        closeIfOpenQuietly(broken.path());
      }
    }
  }

  /** Lets HDFS close a file whose close failed, so that readers get its length. */
  private void closeIfOpenQuietly(Path path) {
    try {
      closeIfOpen(path);
    } catch (IOException | RuntimeException e) {
      LOG.debug("rStream {}: lease recovery of {} failed: {}", streamId, path, e.toString());
    }
  }

  /**
   * Closes the active segment (the stream is closing) and every rolled one, and writes their
   * sidecars (see {@link #sealRolled}).
   */
  public void closeActive() {
    if (active != null) {
      roll();
    }
    sealRolled();
  }

  // ---------------------------------------------------------------------------------------------
  // Reads and deletion

  /**
   * Reads the events from {@code seq} on, within one segment's coverage, below {@code limitSeq}
   * and up to about {@code maxBytes} of records (at least one event).
   *
   * @throws CorruptSegmentException if a record on the way is corrupt
   * @throws IOException if no segment holds {@code seq} or the file ends early
   */
  public StreamEvent[] read(long seq, long limitSeq, long maxBytes) throws IOException {
    Segment segment;
    Path path;
    long coverEnd;
    long startSeq;
    long startOffset;
    synchronized (this) {
      int at = segmentOf(seq);
      if (at < 0) {
        throw new IOException(
            "rStream " + streamId + ": no segment holds seq " + seq + " (segments cover ["
                + floorSeq() + ", " + endSeq() + "))");
      }
      segment = segments.get(at);
      path = segment.path;
      coverEnd = coverEnd(at);
      long[] entry = segment.index.floor(seq);
      startSeq = entry == null ? segment.firstSeq : entry[0];
      startOffset = entry == null ? segment.headerBytes : entry[1];
    }
    long endSeq = Math.min(coverEnd, limitSeq);
    if (seq >= endSeq) {
      throw new IOException(
          "rStream " + streamId + ": seq " + seq + " is beyond what " + path + " holds (" + endSeq + ")");
    }
    List<StreamEvent> events = new ArrayList<>();
    long bytes = 0;
    try (SegmentReader reader = SegmentReader.openAt(fs, path, startOffset, startSeq)) {
      while (reader.next()) {
        if (reader.seq() < seq) {
          continue;
        }
        events.add(reader.event());
        bytes += reader.recordBytes();
        if (reader.seq() + 1 >= endSeq || bytes >= maxBytes) {
          break;
        }
      }
    } catch (CorruptSegmentException e) {
      throw e;
    } catch (IOException e) {
      // A broken segment whose writer could not close it (a datanode died under it) cannot be
      // read until its lease is recovered; the caller retries. The active and rolled segments
      // are left to the flush chain and the seal, which notice failures themselves.
      boolean unsealed;
      synchronized (this) {
        unsealed = segment.unsealed != null;
      }
      if (!unsealed) {
        try {
          closeIfOpen(path);
        } catch (IOException | RuntimeException ignored) {
          // The read error is the one reported; the next attempt tries again.
        }
      }
      throw e;
    }
    if (events.isEmpty()) {
      throw new IOException(
          "rStream " + streamId + ": " + path + " ended before seq " + seq + " (from offset " + startOffset + ")");
    }
    return events.toArray(new StreamEvent[0]);
  }

  /** Index in {@link #segments} of the segment whose coverage holds {@code seq}, or -1. */
  private int segmentOf(long seq) {
    for (int i = segments.size() - 1; i >= 0; i--) {
      Segment segment = segments.get(i);
      if (segment.firstSeq <= seq) {
        return seq < coverEnd(i) ? i : -1;
      }
    }
    return -1;
  }

  private long coverEnd(int at) {
    Segment segment = segments.get(at);
    return at + 1 < segments.size()
        ? Math.min(segment.endSeq, segments.get(at + 1).firstSeq)
        : segment.endSeq;
  }

  /** How many segments {@link #deleteBelow} would delete now (no I/O). */
  public synchronized int collectableBelow(long seq) {
    int count = 0;
    while (count < segments.size() && collectable(count, seq)) {
      count++;
    }
    return count;
  }

  // The last segment stays (even sealed) so the log always knows its end seq; one the writer
  // still has open (active or rolled) stays until sealed.
  private boolean collectable(int at, long seq) {
    return segments.get(at).unsealed == null && at + 1 < segments.size() && coverEnd(at) <= seq;
  }

  /**
   * Deletes the oldest segments whose whole coverage lies below {@code seq}, except those the
   * writer still has open (active or not yet sealed) and the last one, oldest first.
   *
   * <p>A segment leaves the list only once its file is gone, so a failed delete stops here and a
   * later call retries it: the files left always cover one contiguous range of seqs. (Forgetting
   * a segment whose file survived would let later calls delete the newer ones above it, and
   * recovery would find a hole between it and the rest.)
   *
   * @return the number of segments deleted
   * @throws IOException if a delete failed; the segments deleted before it stay deleted
   */
  public int deleteBelow(long seq) throws IOException {
    int deleted = 0;
    while (true) {
      Segment oldest;
      synchronized (this) {
        if (segments.isEmpty() || !collectable(0, seq)) {
          return deleted;
        }
        oldest = segments.get(0);
      }
      // The sidecar first: a crash in between leaves a segment that recovery scans, no orphan.
      fs.delete(SegmentIndexFile.pathOf(oldest.path), false);
      fs.delete(oldest.path, false);
      synchronized (this) {
        segments.remove(oldest);
      }
      deleted++;
    }
  }
}
