package dev.streamscope.rstream.persist;

import static dev.streamscope.rstream.testing.TestFiles.event;

import dev.streamscope.rstream.StreamEvent;
import dev.streamscope.rstream.segment.FlushMode;
import dev.streamscope.rstream.testing.FaultyFileSystem;
import dev.streamscope.rstream.testing.ManualStreamIo;
import dev.streamscope.rstream.testing.TestFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletionStage;
import java.util.stream.LongStream;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Property: random interleavings of write, publish, flush steps, timer steps, write faults (clean
 * and torn), crash + restart, reads, releases and GC never lose an event that was acknowledged as
 * durable, and never return two values for one seq (every read returns the one value the
 * deterministic producer writes for that seq). After the faults, a liveness phase checks that
 * everything becomes durable and readable.
 *
 * <p>Each seed is one run; a failure names the seed and the last actions. Run one seed with
 * {@code -Drstream.seed=N}, more with {@code -Drstream.seeds=N}. (A seeded JUnit test rather than
 * a jqwik property: see the module README.)
 */
class RandomInterleavingTest {
  private static final String ID = "P/out0/p0->C/in0/p0";
  private static final int STEPS = 300;

  static LongStream seeds() {
    String one = System.getProperty("rstream.seed");
    if (one != null) {
      return LongStream.of(Long.parseLong(one));
    }
    return LongStream.range(0, Long.getLong("rstream.seeds", 60));
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void neverLosesADurableEventNorReturnsTwoValuesForOneSeq(long seed) throws Exception {
    java.nio.file.Path temp = Files.createTempDirectory("rstream-prop");
    try {
      new Run(seed, temp).go();
    } finally {
      TestFiles.rawLocal().delete(new Path(temp.toUri().toString()), true);
    }
  }

  /** One randomized run. */
  private static final class Run {
    private final long seed;
    private final Random random;
    private final FaultyFileSystem fs;
    private final Path jobDir;
    private final RStreamOptions options;
    private final List<String> actions = new ArrayList<>();
    private ManualStreamIo io;
    private PersistentRStream stream;
    private long acknowledged; // the highest durable seq ever reported
    private long readerPosition; // next seq the reader wants
    private long released;
    private long gcFloor; // reads below it may fail (garbage-collected)
    private long crashes;

    Run(long seed, java.nio.file.Path temp) throws IOException {
      this.seed = seed;
      this.random = new Random(seed);
      this.fs = new FaultyFileSystem(TestFiles.rawLocal());
      this.jobDir = new Path(temp.toUri().toString(), "job");
      this.options =
          RStreamOptions.defaults()
              .withStrategy(random.nextInt(4) == 0 ? PersistenceStrategy.SYNCHRONOUS : PersistenceStrategy.HYBRID)
              .withFlushMode(random.nextBoolean() ? FlushMode.HFLUSH : FlushMode.HSYNC)
              .withBatch(50 + random.nextInt(2_000), 1 + random.nextInt(20))
              .withSegmentBytesMax(300 + random.nextInt(5_000))
              .withMemoryBytesMax(1 + random.nextInt(20_000))
              .withReadBytesMax(100 + random.nextInt(3_000))
              .withRetryDelayMs(1, 8)
              .withGcOnRelease(random.nextBoolean());
      this.io = new ManualStreamIo();
      this.stream = (PersistentRStream) store().open(ID, "P#0");
    }

    private HadoopRStreamStore store() {
      return new HadoopRStreamStore(fs, jobDir, options, io, RegenerationHook.NONE);
    }

    void go() throws Exception {
      try {
        for (int step = 0; step < STEPS; step++) {
          step();
          acknowledged = Math.max(acknowledged, stream.durableSeq());
        }
        liveness();
      } catch (Throwable t) {
        throw new AssertionError(
            "seed " + seed + " (" + options + ") failed; last actions: "
                + actions.subList(Math.max(0, actions.size() - 25), actions.size()), t);
      }
    }

    private void step() throws Exception {
      int dice = random.nextInt(100);
      if (dice < 25) {
        int n = 1 + random.nextInt(40);
        long from = stream.nextSeq();
        if (random.nextInt(5) == 0 && from > 0) {
          long back = Math.max(released, from - 1 - random.nextInt(30));
          note("rewrite [" + back + ", " + from + ")");
          writeRange(back, from); // duplicates of the same values: absorbed
        }
        note("write [" + from + ", " + (from + n) + ")");
        writeRange(from, from + n);
      } else if (dice < 40) {
        note("publish");
        stream.publish();
      } else if (dice < 58) {
        note("io step");
        io.runOne();
      } else if (dice < 66) {
        int ms = 1 + random.nextInt(15);
        note("advance " + ms + " ms");
        io.advanceMillis(ms);
      } else if (dice < 82) {
        read();
      } else if (dice < 87) {
        note("release below " + readerPosition);
        stream.releaseBelow(readerPosition);
        released = Math.max(released, Math.min(readerPosition, stream.publishedSeq()));
        if (options.gcOnRelease()) {
          gcFloor = Math.max(gcFloor, released);
        }
      } else if (dice < 90) {
        long below = released == 0 ? 0 : random.nextLong(released + 1);
        note("gc below " + below);
        stream.gcBelow(below);
        gcFloor = Math.max(gcFloor, below);
      } else if (dice < 95) {
        boolean fail = random.nextInt(3) == 0;
        boolean tear = random.nextBoolean();
        note("faults " + (fail ? (tear ? "torn" : "clean") : "off"));
        fs.failWrites(fail);
        fs.tearWrites(tear);
      } else {
        crashAndRestart();
      }
    }

    private void note(String action) {
      actions.add(action);
    }

    private void writeRange(long from, long to) {
      for (long seq = from; seq < to; seq++) {
        stream.write(event(seq));
      }
    }

    private void read() {
      long seq = readerPosition;
      if (random.nextInt(4) == 0 && stream.publishedSeq() > gcFloor) {
        // Anywhere readable, also below the released seq (a restarted reader does that).
        seq = gcFloor + random.nextLong(stream.publishedSeq() - gcFloor);
      }
      StreamEvent event;
      try {
        event = stream.read(seq);
      } catch (IllegalStateException e) {
        if (seq < gcFloor && e.getMessage().contains("garbage-collected")) {
          note("read " + seq + " -> below the watermark");
          return;
        }
        throw e;
      }
      note("read " + seq + " -> " + (event == null ? "null" : "value"));
      if (event != null) {
        check(seq, event);
        if (seq == readerPosition) {
          readerPosition++;
        }
      }
    }

    private void check(long seq, StreamEvent actual) {
      if (!event(seq).sameContent(actual)) {
        throw new AssertionError("seq " + seq + " read as " + actual + ", written as " + event(seq));
      }
    }

    private void crashAndRestart() throws Exception {
      crashes++;
      note("crash #" + crashes + " (acknowledged " + acknowledged + ")");
      io.crash();
      fs.failWrites(false);
      io = new ManualStreamIo();
      CompletionStage<PersistentRStream> recovery =
          store().recover(ID, "P#0");
      io.runAll();
      stream = recovery.toCompletableFuture().get();
      if (stream.durableSeq() < acknowledged) {
        throw new AssertionError(
            "lost durable events: recovered up to " + stream.durableSeq() + " but " + acknowledged + " were acknowledged");
      }
      note("restarted at " + stream.durableSeq());
      // Everything recovered is readable and holds the one value of its seq.
      long from = gcFloor;
      for (long seq = from; seq < stream.durableSeq(); seq++) {
        check(seq, readFully(seq));
      }
      // A reader that was past the recovered end waits until the producer rewrites the tail.
      released = Math.min(released, stream.durableSeq());
      gcFloor = Math.min(gcFloor, stream.durableSeq());
    }

    private StreamEvent readFully(long seq) {
      for (int attempt = 0; attempt < 50; attempt++) {
        StreamEvent event = stream.read(seq);
        if (event != null) {
          return event;
        }
        io.runAll();
        io.advanceMillis(10);
      }
      throw new AssertionError("seq " + seq + " never became readable (" + stream + ")");
    }

    /** Faults healed: everything written becomes durable and readable, in order. */
    private void liveness() {
      note("liveness");
      fs.failWrites(false);
      long end = stream.nextSeq() + 10;
      writeRange(stream.nextSeq(), end);
      stream.publish();
      for (int round = 0; round < 200 && stream.durableSeq() < end; round++) {
        io.runAll();
        io.advanceMillis(10);
      }
      if (stream.durableSeq() != end) {
        throw new AssertionError("not durable after the faults healed: " + stream);
      }
      for (long seq = readerPosition; seq < end; seq++) {
        check(seq, readFully(seq));
      }
      stream.closeAsync();
      io.runAll();
    }
  }
}
