package dev.streamscope.runner;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.joda.time.Duration;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * A job reading an unbounded source whose vertex is killed mid-read: the output is exact, and the
 * source's checkpoint marks are finalized in order, up to every split's last record, never a mark
 * restored from a snapshot, and not before a snapshot of the read was written.
 */
class CheckpointMarkFinalizationTest {
  private static final int RECORDS = 20_000;
  private static final int SPLITS = 2;
  /** Per run, per split: the positions finalized, in order; "restored" if a restored mark was. */
  private static final Map<String, List<String>> FINALIZED = new ConcurrentHashMap<>();
  /** While false, the readers hold at half way (they have nothing "now"). */
  private static final AtomicBoolean GATE_OPEN = new AtomicBoolean();

  /** Records read by one split; {@code fresh} is false in a mark decoded from a snapshot. */
  static final class Position implements UnboundedSource.CheckpointMark, Serializable {
    final String log;
    final int next;
    final transient boolean fresh;

    Position(String log, int next) {
      this.log = log;
      this.next = next;
      this.fresh = true;
    }

    @Override
    public void finalizeCheckpoint() {
      FINALIZED.computeIfAbsent(log, l -> Collections.synchronizedList(new ArrayList<>()))
          .add(fresh ? Integer.toString(next) : "restored " + next);
    }
  }

  /** Split {@code split} of the values 0..RECORDS-1 (every SPLITS-th), each its own timestamp. */
  static final class CountingSplits extends UnboundedSource<Long, Position> {
    private final String run;
    private final int split;

    CountingSplits(String run, int split) {
      this.run = run;
      this.split = split;
    }

    String log() {
      return run + "/" + split;
    }

    long value(int index) {
      return (long) index * SPLITS + split;
    }

    int size() {
      return (RECORDS - split + SPLITS - 1) / SPLITS;
    }

    @Override
    public List<CountingSplits> split(int desiredNumSplits, PipelineOptions options) {
      List<CountingSplits> splits = new ArrayList<>();
      for (int s = 0; s < SPLITS; s++) {
        splits.add(new CountingSplits(run, s));
      }
      return splits;
    }

    @Override
    public UnboundedReader<Long> createReader(PipelineOptions options, Position mark) {
      return new SplitReader(this, mark == null ? 0 : mark.next);
    }

    @Override
    public Coder<Position> getCheckpointMarkCoder() {
      return SerializableCoder.of(Position.class);
    }

    @Override
    public Coder<Long> getOutputCoder() {
      return VarLongCoder.of();
    }
  }

  private static final class SplitReader extends UnboundedSource.UnboundedReader<Long> {
    private final CountingSplits source;
    /** Records consumed; the current one is next - 1. */
    private int next;

    SplitReader(CountingSplits source, int next) {
      this.source = source;
      this.next = next;
    }

    @Override
    public boolean start() {
      return advance();
    }

    @Override
    public boolean advance() {
      if (next >= source.size() || (!GATE_OPEN.get() && next >= source.size() / 2)) {
        return false;
      }
      next++;
      return true;
    }

    @Override
    public Long getCurrent() {
      return source.value(next - 1);
    }

    @Override
    public Instant getCurrentTimestamp() {
      return new Instant(getCurrent());
    }

    @Override
    public Instant getWatermark() {
      return next >= source.size()
          ? BoundedWindow.TIMESTAMP_MAX_VALUE
          : new Instant(Math.max(0, source.value(next) - 1));
    }

    @Override
    public UnboundedSource.CheckpointMark getCheckpointMark() {
      return new Position(source.log(), next);
    }

    @Override
    public UnboundedSource<Long, ?> getCurrentSource() {
      return source;
    }

    @Override
    public void close() {}
  }

  private static long passertCounter(StreamScopePipelineResult result, String name) {
    long sum = 0;
    for (MetricResult<Long> counter :
        result
            .metrics()
            .queryMetrics(MetricsFilter.builder().addNameFilter(MetricNameFilter.named(PAssert.class, name)).build())
            .getCounters()) {
      sum += counter.getAttempted();
    }
    return sum;
  }

  @Test
  void aKilledReadFinalizesEveryMarkOnceAndInOrderAndTheOutputIsExact() throws Exception {
    String run = UUID.randomUUID().toString();
    GATE_OPEN.set(false);
    Pipeline p =
        Pipeline.create(
            PipelineOptionsFactory.fromArgs(
                    "--runner=StreamScope", "--parallelism=1", "--checkpointIntervalMs=10")
                .create());
    PCollection<Long> read =
        p.apply("Read", Read.from(new CountingSplits(run, 0)))
            .apply(Window.into(FixedWindows.of(Duration.standardHours(1)))); // All in one window.
    PAssert.that(read.apply(org.apache.beam.sdk.transforms.Combine.globally(Sum.ofLongs()).withoutDefaults()))
        .containsInAnyOrder((long) RECORDS * (RECORDS - 1) / 2);
    PAssert.that(read.apply("Count", org.apache.beam.sdk.transforms.Combine.globally(Count.<Long>combineFn()).withoutDefaults()))
        .containsInAnyOrder((long) RECORDS);
    StreamScopePipelineResult result = (StreamScopePipelineResult) p.run();
    try {
      String victim =
          result.vertexIds().stream()
              .filter(id -> id.startsWith("Read"))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no Read vertex in " + result.vertexIds()));
      // Half read and held: a snapshot of it is stable once some of its marks are finalized.
      await()
          .atMost(java.time.Duration.ofSeconds(60))
          .until(() -> FINALIZED.containsKey(run + "/0") || FINALIZED.containsKey(run + "/1"));
      // Its snapshot may settle as soon as the vertex sees it land mid-turn, before the write's
      // completion reaches the vertex's thread, which is what writtenSnapshotVersion reports.
      await()
          .atMost(java.time.Duration.ofSeconds(30))
          .until(() -> result.writtenSnapshotVersion(victim) > 0);
      result.killVertex(victim);
      GATE_OPEN.set(true);
      assertEquals(PipelineResult.State.DONE, result.waitUntilFinish());
      assertEquals(1, result.restarts());
      assertTrue(result.restoredSnapshotVersion(victim) > 0, "the read restarted from a snapshot");
      assertEquals(0, passertCounter(result, PAssert.FAILURE_COUNTER), "a PAssert failed");
      assertEquals(2, passertCounter(result, PAssert.SUCCESS_COUNTER), "both PAsserts ran");
    } finally {
      GATE_OPEN.set(true);
    }
    // The last marks are finalized once the finished vertex's outputs are durable.
    for (int split = 0; split < SPLITS; split++) {
      String log = run + "/" + split;
      int size = new CountingSplits(run, split).size();
      await()
          .atMost(java.time.Duration.ofSeconds(30))
          .until(() -> FINALIZED.getOrDefault(log, List.of()).contains(Integer.toString(size)));
      List<String> finalized = new ArrayList<>(FINALIZED.get(log));
      int last = -1;
      for (String position : finalized) {
        assertTrue(!position.startsWith("restored"), "a restored mark was finalized: " + finalized);
        int next = Integer.parseInt(position);
        // Equal positions are fresh marks of snapshots between which the split read nothing.
        assertTrue(next >= last, "split " + split + " finalized out of order: " + finalized);
        last = next;
      }
      assertEquals(size, last, "split " + split + " finalized up to its end: " + finalized);
    }
  }
}
