package dev.streamscope.rstream.persist;

import dev.streamscope.rstream.DeterminismViolationException;
import dev.streamscope.rstream.StreamEvent;
import dev.streamscope.rstream.io.StreamIo;
import dev.streamscope.rstream.segment.CorruptSegmentException;
import dev.streamscope.rstream.segment.StreamLog;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Uniqueness for rewrites of seqs whose event only the segments hold (evicted from the memory
 * tier, or written before a restart): compares each rewrite with the persisted record, off the
 * writer's thread.
 *
 * <p>The writer {@link #add adds} such rewrites to a batch, which it {@link #handOff hands off} at
 * each publish, or as soon as the batch holds {@code readBytesMax} bytes (a replaying producer
 * rewrites long runs). Batches are verified one at a time through the {@link StreamIo}: each run
 * of consecutive seqs is read back with {@link StreamLog#read} (a block of up to {@code
 * readBytesMax} per call, seeking through the segment index) and compared event by event.
 *
 * <p>Outcomes per rewrite: <em>checked</em> (equal to the record); a <em>violation</em> (the first
 * one is kept in {@link #violation()} and reported to the {@link Listener}; later batches are
 * dropped); or <em>unchecked</em>, when garbage collection deleted the seq's segment before the
 * check ran (nobody can read that seq any more, so the rewrite is absorbed) or the record is
 * corrupt (reads and recovery report that themselves; it is logged here). Other read errors are
 * retried after a growing delay, like tier-2 reads; while closing they end the verification
 * (logged, counted as unchecked).
 *
 * <p>Threading: {@link #add} and {@link #handOff} on the writer's thread (no lock; a hand-off
 * takes this object's monitor once per batch); verification and its completion on {@link StreamIo}
 * threads. The {@link StreamIo} is never called while holding the monitor.
 */
final class RewriteVerifier {
  private static final Logger LOG = LoggerFactory.getLogger(RewriteVerifier.class);

  /** Hears about the verification; called on {@link StreamIo} threads, must not block. */
  interface Listener {
    /** A rewrite differed from the persisted value; called once. */
    void violated(DeterminismViolationException violation);

    /** The backlog of unverified rewrites shrank. */
    void drained();
  }

  /** Rewrites handed off together, in write order. */
  private record Batch(List<StreamEvent> events, long bytes) {}

  /** What verifying one batch found. */
  private record Verdict(DeterminismViolationException violation, long checked, long unchecked) {}

  private final String streamId;
  private final String producer;
  private final StreamLog log;
  private final StreamIo io;
  private final RStreamOptions options;
  private final Listener listener;

  // Writer-owned: the batch being filled.
  private ArrayList<StreamEvent> filling = new ArrayList<>();
  private long fillingBytes;

  private final AtomicLong backlogBytes = new AtomicLong();
  private volatile DeterminismViolationException violation;

  // Guarded by this.
  private final ArrayDeque<Batch> queued = new ArrayDeque<>();
  private boolean verifying;
  private long retryDelayMs;
  private long checked;
  private long unchecked;
  private boolean closing;
  private final CompletableFuture<Void> idleAfterClose = new CompletableFuture<>();

  RewriteVerifier(
      String streamId, String producer, StreamLog log, StreamIo io, RStreamOptions options, Listener listener) {
    this.streamId = streamId;
    this.producer = producer;
    this.log = log;
    this.io = io;
    this.options = options;
    this.listener = listener;
    this.retryDelayMs = options.retryDelayMsMin();
  }

  /** Queues the rewrite of a seq below the memory tier (writer thread). */
  void add(StreamEvent event) {
    filling.add(event);
    fillingBytes += event.sizeBytes();
    if (fillingBytes >= options.readBytesMax()) {
      handOff();
    }
  }

  /** Starts verifying the rewrites added since the last hand-off (writer thread). */
  void handOff() {
    if (filling.isEmpty()) {
      return;
    }
    Batch batch = new Batch(filling, fillingBytes);
    filling = new ArrayList<>();
    fillingBytes = 0;
    boolean start;
    synchronized (this) {
      if (violation != null) {
        return; // The stream is failed; nothing more to learn.
      }
      queued.add(batch);
      backlogBytes.addAndGet(batch.bytes);
      start = !verifying;
      verifying = true;
    }
    if (start) {
      verifyNext();
    }
  }

  /** The first rewrite found to differ from the persisted value, or null. */
  DeterminismViolationException violation() {
    return violation;
  }

  /** Bytes of handed-off rewrites not verified yet. */
  long backlogBytes() {
    return backlogBytes.get();
  }

  /** Rewrites found equal to their persisted record. */
  synchronized long checked() {
    return checked;
  }

  /** Rewrites absorbed without a comparison (garbage-collected or corrupt records). */
  synchronized long unchecked() {
    return unchecked;
  }

  /**
   * Completes once everything handed off is verified; from now on a failed read is not retried.
   */
  CompletionStage<Void> closeAsync() {
    synchronized (this) {
      closing = true;
      if (verifying) {
        return idleAfterClose;
      }
    }
    idleAfterClose.complete(null);
    return idleAfterClose;
  }

  private void verifyNext() {
    Batch batch;
    synchronized (this) {
      batch = violation == null ? queued.peek() : null;
      if (batch == null) {
        verifying = false;
        if (closing) {
          idleAfterClose.complete(null);
        }
        return;
      }
    }
    submit(() -> verify(batch.events)).whenComplete((verdict, error) -> onVerified(batch, verdict, error));
  }

  private void onVerified(Batch batch, Verdict verdict, Throwable error) {
    if (error != null) {
      onReadFailed(batch, unwrap(error));
      return;
    }
    synchronized (this) {
      queued.poll();
      retryDelayMs = options.retryDelayMsMin();
      checked += verdict.checked;
      unchecked += verdict.unchecked;
      if (verdict.violation != null) {
        violation = verdict.violation;
        for (Batch dropped : queued) {
          backlogBytes.addAndGet(-dropped.bytes);
        }
        queued.clear();
      }
    }
    backlogBytes.addAndGet(-batch.bytes);
    if (verdict.violation != null) {
      LOG.error(verdict.violation.getMessage());
      listener.violated(verdict.violation);
    }
    listener.drained();
    verifyNext();
  }

  private void onReadFailed(Batch failed, Throwable cause) {
    long delay;
    boolean giveUp;
    synchronized (this) {
      giveUp = closing;
      delay = retryDelayMs;
      retryDelayMs = Math.min(options.retryDelayMsMax(), retryDelayMs * 2);
      if (giveUp) {
        for (Batch batch : queued) {
          unchecked += batch.events.size();
          backlogBytes.addAndGet(-batch.bytes);
        }
        queued.clear();
      }
    }
    if (giveUp) {
      LOG.warn(
          "rStream {}: reading back rewrites of seqs from {} failed while closing; they stay unchecked: {}",
          streamId, failed.events.get(0).seq(), cause.toString());
      listener.drained();
      verifyNext();
      return;
    }
    LOG.warn(
        "rStream {}: reading back rewrites of seqs from {} failed, retrying in {} ms: {}",
        streamId, failed.events.get(0).seq(), delay, cause.toString());
    io.setTimer(delay, this::verifyNext);
  }

  /** Compares {@code events} with the segments; blocking (runs on the {@link StreamIo}). */
  private Verdict verify(List<StreamEvent> events) throws IOException {
    long checkedHere = 0;
    long uncheckedHere = 0;
    int runStart = 0;
    while (runStart < events.size()) {
      int runEnd = runStart + 1;
      while (runEnd < events.size() && events.get(runEnd).seq() == events.get(runEnd - 1).seq() + 1) {
        runEnd++;
      }
      List<StreamEvent> run = events.subList(runStart, runEnd);
      long[] counts = new long[2];
      DeterminismViolationException found = verifyRun(run, counts);
      checkedHere += counts[0];
      uncheckedHere += counts[1];
      if (found != null) {
        return new Verdict(found, checkedHere, uncheckedHere);
      }
      runStart = runEnd;
    }
    return new Verdict(null, checkedHere, uncheckedHere);
  }

  /** One run of consecutive seqs; adds to {@code counts} {checked, unchecked}. */
  private DeterminismViolationException verifyRun(List<StreamEvent> run, long[] counts)
      throws IOException {
    long from = run.get(0).seq();
    long to = from + run.size();
    long seq = from;
    while (seq < to) {
      long floor = log.floorSeq();
      if (seq < floor) {
        long skipped = Math.min(floor, to) - seq;
        counts[1] += skipped; // Garbage-collected: nobody reads these seqs any more.
        seq += skipped;
        continue;
      }
      StreamEvent[] persisted;
      try {
        persisted = log.read(seq, to, options.readBytesMax());
      } catch (CorruptSegmentException e) {
        LOG.error(
            "rStream {}: cannot check rewrites of seqs [{}, {}) against a corrupt record: {}",
            streamId, seq, to, e.getMessage());
        counts[1] += to - seq;
        return null;
      } catch (IOException e) {
        if (log.floorSeq() > seq) {
          continue; // Its segment was garbage-collected meanwhile.
        }
        throw e;
      }
      for (StreamEvent existing : persisted) {
        StreamEvent offered = run.get((int) (existing.seq() - from));
        if (!existing.sameContent(offered)) {
          return new DeterminismViolationException(streamId, existing.seq(), producer, existing, offered);
        }
        counts[0]++;
      }
      seq += persisted.length;
    }
    return null;
  }

  private <T> CompletionStage<T> submit(Callable<T> task) {
    try {
      return io.executeBlocking(task);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private static Throwable unwrap(Throwable error) {
    Throwable cause = error;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }
}
