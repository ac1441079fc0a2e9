package dev.streamscope.rstream.bench;

import dev.streamscope.rstream.InMemoryRStream;
import dev.streamscope.rstream.RStream;
import dev.streamscope.rstream.StreamEvent;
import dev.streamscope.rstream.persist.HadoopRStreamStore;
import dev.streamscope.rstream.persist.PersistenceStrategy;
import dev.streamscope.rstream.persist.PersistentRStream;
import dev.streamscope.rstream.persist.RStreamOptions;
import dev.streamscope.rstream.persist.RegenerationHook;
import dev.streamscope.rstream.segment.SegmentFormat;
import dev.streamscope.rstream.testing.ExecutorStreamIo;
import dev.streamscope.rstream.testing.TestFiles;
import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/**
 * One rStream, one writer thread, one reader thread, 100-byte events: events/s and
 * write-to-readable latency (p50, p99) of memory-only, hybrid and synchronous-per-event streams,
 * on the raw local file system and on an in-process MiniDFSCluster, all in one run, with ratios.
 *
 * <ul>
 *   <li><b>Throughput</b> (open loop): the writer writes and publishes event after event as fast
 *       as back-pressure lets it (32 MiB unread, and for hybrid the persistence backlog); the run
 *       ends when the reader has read everything and, for persisted streams, all is durable. The
 *       median of three runs.
 *   <li><b>Latency</b> (closed loop): the writer stamps {@code System.nanoTime()} into an event,
 *       writes and publishes it, and writes the next only once the reader read it; the reader
 *       takes the latency when it reads it. So latency is not queueing behind a backlog. Waiting
 *       threads spin up to 50 µs before they park, so it is not the OS's wake-up time either.
 *   <li><b>Synchronous per event</b> is closed loop by nature (each event is persisted, one flush,
 *       before it is visible and the next is written): its throughput is its latency run's.
 *   <li><b>CPU/event</b>: CPU time of the whole process (writer, reader, flush chain and, on
 *       MiniDFSCluster, the in-process namenode and datanode) per event of the run reported. On a
 *       machine shared with other work it is the steadier measure of what an event costs.
 *   <li><b>Raw hflush</b> is the anchor, no rStream at all: one thread writes 100-byte records
 *       straight to an {@code FSDataOutputStream} in 1 MiB batches, one {@code hflush} each —
 *       what the file system itself takes, so the rStream's own overhead shows.
 * </ul>
 *
 * <p>{@code ./mvnw -q -pl rstream-hdfs test-compile exec:exec [-Dbench.events=N]
 * [-Dbench.syncEvents=N] [-Dbench.fs=local|hdfs]} (see the module README).
 */
public final class RStreamBenchmark {
  private static final long BUFFER_BYTES_MAX = 32L << 20; // what a source may leave unread
  private static final int PUBLISH_EVERY = Integer.getInteger("bench.publishEvery", 1);
  private static final int REPEATS = Integer.getInteger("bench.repeats", 3);
  private static final long SPIN_NANOS = Long.getLong("bench.spinNanos", 50_000);
  /** Which file systems to measure: "local,hdfs" (default), "local" or "hdfs". */
  private static final String FILE_SYSTEMS = System.getProperty("bench.fs", "local,hdfs");
  private static final String RAW_ROW = "raw hflush (anchor)";

  private RStreamBenchmark() {}

  /** Result of one measured run; cpuNanos is the whole process's CPU time (all threads). */
  private record Result(long events, double seconds, long p50Nanos, long p99Nanos, long cpuNanos) {
    double eventsPerSecond() {
      return events / seconds;
    }

    double cpuNanosPerEvent() {
      return (double) cpuNanos / events;
    }
  }

  private static final com.sun.management.OperatingSystemMXBean OS =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  public static void main(String[] args) throws Exception {
    int events = args.length > 0 ? Integer.parseInt(args[0]) : 2_000_000;
    int syncEvents = args.length > 1 ? Integer.parseInt(args[1]) : 3_000;
    System.out.printf(
        Locale.ROOT,
        "rStream benchmark: %,d events of 100 bytes (synchronous: %,d), %d processors, Java %s%n",
        events, syncEvents, Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
    java.nio.file.Path temp = Files.createTempDirectory("rstream-bench");
    Map<String, Map<String, Result>> tables = new LinkedHashMap<>();
    FileSystem local = TestFiles.rawLocal();
    if (FILE_SYSTEMS.contains("local")) {
      tables.put("local (raw)", measureAll(local, new Path(temp.toUri().toString(), "local"), events, syncEvents * 5));
    }
    if (!FILE_SYSTEMS.contains("hdfs")) {
      local.delete(new Path(temp.toUri().toString()), true);
      print(tables);
      return;
    }
    Configuration conf = new Configuration();
    conf.setInt("dfs.replication", 1);
    MiniDFSCluster cluster =
        new MiniDFSCluster.Builder(conf, new File(temp.toFile(), "dfs")).numDataNodes(1).build();
    try {
      cluster.waitActive();
      FileSystem hdfs = FileSystem.newInstance(cluster.getURI(), conf);
      tables.put("MiniDFSCluster", measureAll(hdfs, new Path("/bench"), events, syncEvents));
      hdfs.close();
    } finally {
      cluster.shutdown(true);
      local.delete(new Path(temp.toUri().toString()), true);
    }
    print(tables);
  }

  private static Map<String, Result> measureAll(FileSystem fs, Path dir, int events, int syncEvents)
      throws Exception {
    int latencyEvents = Math.min(events, 20_000);
    // Warm-up (JIT, file system clients), not reported. A whole hybrid run: the file system's
    // code (on MiniDFSCluster also the namenode's and datanode's) takes long to compile, and CPU
    // spent compiling it during the measured runs would be charged to hybrid alone.
    run("warm", fs, dir, PersistenceStrategy.MEMORY_ONLY, events / 10, false);
    run("warm", fs, dir, PersistenceStrategy.HYBRID, events, false);
    run("warm", fs, dir, PersistenceStrategy.MEMORY_ONLY, latencyEvents / 4, true);
    run("warm", fs, dir, PersistenceStrategy.HYBRID, latencyEvents / 4, true);
    run("warm", fs, dir, PersistenceStrategy.SYNCHRONOUS, Math.max(100, syncEvents / 10), true);
    Map<String, Result> results = new LinkedHashMap<>();
    for (PersistenceStrategy strategy :
        new PersistenceStrategy[] {PersistenceStrategy.MEMORY_ONLY, PersistenceStrategy.HYBRID}) {
      Result throughput = median(fs, dir, strategy, events);
      Result latency = run("latency", fs, dir, strategy, latencyEvents, true);
      results.put(
          strategy.spelling(),
          new Result(throughput.events, throughput.seconds, latency.p50Nanos, latency.p99Nanos, throughput.cpuNanos));
    }
    results.put("synchronous per event", run("sync", fs, dir, PersistenceStrategy.SYNCHRONOUS, syncEvents, true));
    results.put(RAW_ROW, medianRaw(fs, dir, events));
    return results;
  }

  /**
   * The anchor: what the file system itself takes with no rStream around it. One thread writes
   * {@code events} 100-byte records to one file in 1 MiB batches, one {@code write} call and one
   * {@code hflush} per batch (as the flush chain does), no reader. The median of {@link #REPEATS}.
   */
  private static Result medianRaw(FileSystem fs, Path dir, int events) throws IOException {
    rawHflush(fs, dir, events / 10); // warm-up
    Result[] runs = new Result[REPEATS];
    for (int i = 0; i < REPEATS; i++) {
      runs[i] = rawHflush(fs, dir, events);
    }
    Arrays.sort(runs, (a, b) -> Double.compare(a.eventsPerSecond(), b.eventsPerSecond()));
    return runs[REPEATS / 2];
  }

  private static Result rawHflush(FileSystem fs, Path dir, int events) throws IOException {
    int recordsPerBatch = (1 << 20) / 100;
    byte[] batch = new byte[recordsPerBatch * 100];
    ByteBuffer records = ByteBuffer.wrap(batch);
    Path file = new Path(dir, "raw-hflush-" + System.nanoTime());
    long start = System.nanoTime();
    long cpuStart = OS.getProcessCpuTime();
    double seconds;
    long cpuNanos;
    try (FSDataOutputStream out = fs.create(file, false)) {
      for (int written = 0; written < events; ) {
        int n = Math.min(recordsPerBatch, events - written);
        for (int i = 0; i < n; i++) {
          records.putLong(i * 100, written + i); // touch every record, as an encoder would
        }
        out.write(batch, 0, n * 100);
        out.hflush();
        written += n;
      }
      // Stop before the close, as the stream runs stop once all is durable: on HDFS a close
      // waits 400 ms or more for the namenode (completeFile), which is not the records' cost.
      seconds = (System.nanoTime() - start) / 1e9;
      cpuNanos = OS.getProcessCpuTime() - cpuStart;
    }
    fs.delete(file, false);
    return new Result(events, seconds, -1, -1, cpuNanos);
  }

  /** The median throughput of {@link #REPEATS} open-loop runs (2 cores make single runs noisy). */
  private static Result median(FileSystem fs, Path dir, PersistenceStrategy strategy, int events)
      throws Exception {
    Result[] runs = new Result[REPEATS];
    for (int i = 0; i < REPEATS; i++) {
      runs[i] = run("throughput", fs, dir, strategy, events, false);
    }
    Arrays.sort(runs, (a, b) -> Double.compare(a.eventsPerSecond(), b.eventsPerSecond()));
    return runs[REPEATS / 2];
  }

  private static Result run(
      String name, FileSystem fs, Path dir, PersistenceStrategy strategy, int events, boolean closedLoop)
      throws Exception {
    try (ExecutorStreamIo io = new ExecutorStreamIo(2)) {
      RStream stream;
      HadoopRStreamStore store = null;
      if (strategy == PersistenceStrategy.MEMORY_ONLY) {
        stream = new InMemoryRStream(name, "bench");
      } else {
        store =
            new HadoopRStreamStore(
                fs,
                new Path(dir, name + "-" + strategy.spelling() + "-" + System.nanoTime()),
                RStreamOptions.defaults().withStrategy(strategy),
                io,
                RegenerationHook.NONE);
        stream = store.open(name, "bench");
      }
      Result result = measure(stream, events, closedLoop);
      if (store != null) {
        store.closeAsync().toCompletableFuture().get();
        store.deleteAsync().toCompletableFuture().get();
      }
      return result;
    }
  }

  private static Result measure(RStream stream, int events, boolean closedLoop) throws Exception {
    long[] latencies = new long[events];
    long spinNanos = closedLoop ? SPIN_NANOS : 0; // open loop: spinning would steal a core
    Waiter writerWaiter = new Waiter(Thread.currentThread(), spinNanos);
    stream.onReleased(writerWaiter::wake);
    Reader reader = new Reader(stream, latencies, closedLoop ? writerWaiter : null, spinNanos);
    Thread readerThread = new Thread(reader, "bench-reader");
    long start = System.nanoTime();
    long cpuStart = OS.getProcessCpuTime();
    readerThread.start();
    for (int seq = 0; seq < events; seq++) {
      stream.write(stamped(seq, System.nanoTime()));
      if (closedLoop || (seq + 1) % PUBLISH_EVERY == 0 || seq + 1 == events) {
        stream.publish();
      }
      if (closedLoop) {
        final int read = seq + 1;
        writerWaiter.await(() -> reader.position >= read);
      } else if (stream.unreleasedBytes() > BUFFER_BYTES_MAX || stream.persistenceCongested()) {
        writerWaiter.await(
            () -> stream.unreleasedBytes() <= BUFFER_BYTES_MAX && !stream.persistenceCongested());
      }
    }
    readerThread.join();
    if (stream instanceof PersistentRStream persistent) {
      persistent.onPublished(writerWaiter::wake);
      writerWaiter.await(() -> persistent.durableSeq() >= events);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    long cpuNanos = OS.getProcessCpuTime() - cpuStart;
    Arrays.sort(latencies);
    return new Result(events, seconds, latencies[events / 2], latencies[(int) (events * 0.99)], cpuNanos);
  }

  private static StreamEvent stamped(long seq, long nanos) {
    byte[] payload = new byte[100];
    ByteBuffer.wrap(payload).putLong(nanos).putLong(seq);
    return StreamEvent.data(seq, payload);
  }

  /** The reader thread: reads in order, takes each event's latency, releases as it goes. */
  private static final class Reader implements Runnable {
    private final RStream stream;
    private final long[] latencies;
    private final Waiter writer;
    private final long spinNanos;
    volatile int position;

    Reader(RStream stream, long[] latencies, Waiter writer, long spinNanos) {
      this.stream = stream;
      this.latencies = latencies;
      this.writer = writer;
      this.spinNanos = spinNanos;
    }

    @Override
    public void run() {
      Waiter waiter = new Waiter(Thread.currentThread(), spinNanos);
      stream.onPublished(waiter::wake);
      int at = 0;
      while (at < latencies.length) {
        StreamEvent event = stream.read(at);
        if (event == null) {
          final int wanted = at;
          waiter.await(() -> stream.publishedSeq() > wanted);
          continue;
        }
        latencies[at] = System.nanoTime() - ByteBuffer.wrap(event.payload()).getLong();
        at++;
        position = at;
        if (writer != null) {
          writer.wake(); // closed loop: the writer waits for each event to be read
        }
        if ((at & 1023) == 0 || at == latencies.length) {
          stream.releaseBelow(at);
        }
      }
    }
  }

  /** Parks a thread until a condition holds; woken by listeners (no lost wake-up). */
  private static final class Waiter {
    private final Thread thread;
    private final long spinNanos;
    private volatile boolean waiting;

    Waiter(Thread thread, long spinNanos) {
      this.thread = thread;
      this.spinNanos = spinNanos;
    }

    void wake() {
      if (waiting) {
        LockSupport.unpark(thread);
      }
    }

    void await(java.util.function.BooleanSupplier condition) {
      // Spin briefly first, as a busy event loop would: latency then measures the stream, not
      // how fast the OS wakes a parked thread.
      long spinUntil = System.nanoTime() + spinNanos;
      while (System.nanoTime() < spinUntil) {
        if (condition.getAsBoolean()) {
          return;
        }
        Thread.onSpinWait();
      }
      while (!condition.getAsBoolean()) {
        waiting = true;
        if (!condition.getAsBoolean()) {
          LockSupport.parkNanos(1_000_000);
        }
        waiting = false;
      }
    }
  }

  private static void print(Map<String, Map<String, Result>> tables) {
    for (Map.Entry<String, Map<String, Result>> table : tables.entrySet()) {
      System.out.printf(Locale.ROOT, "%n%s%n", table.getKey());
      System.out.printf(
          Locale.ROOT, "  %-22s %14s %12s %12s %12s%n", "stream", "events/s", "p50 latency", "p99 latency", "CPU/event");
      for (Map.Entry<String, Result> row : table.getValue().entrySet()) {
        Result r = row.getValue();
        System.out.printf(
            Locale.ROOT,
            "  %-22s %,14.0f %12s %12s %9.0f ns%n",
            row.getKey(), r.eventsPerSecond(), micros(r.p50Nanos()), micros(r.p99Nanos()), r.cpuNanosPerEvent());
      }
      Result memory = table.getValue().get("memory-only");
      Result hybrid = table.getValue().get("hybrid");
      Result sync = table.getValue().get("synchronous per event");
      System.out.printf(
          Locale.ROOT,
          "  hybrid / memory-only throughput: %.0f%%; hybrid / synchronous: %.0fx;"
              + " p50 latency hybrid / memory-only: %.2f, p99: %.2f%n",
          100 * hybrid.eventsPerSecond() / memory.eventsPerSecond(),
          hybrid.eventsPerSecond() / sync.eventsPerSecond(),
          (double) hybrid.p50Nanos() / memory.p50Nanos(),
          (double) hybrid.p99Nanos() / memory.p99Nanos());
      Result raw = table.getValue().get(RAW_ROW);
      System.out.printf(
          Locale.ROOT,
          "  hybrid / raw hflush: %.0f%% (hybrid persists %.0f MB/s of records, raw hflush %.0f MB/s)%n",
          100 * hybrid.eventsPerSecond() / raw.eventsPerSecond(),
          hybrid.eventsPerSecond() * (100 + SegmentFormat.RECORD_OVERHEAD_BYTES) / 1e6,
          raw.eventsPerSecond() * 100 / 1e6);
    }
  }

  private static String micros(long nanos) {
    if (nanos < 0) {
      return "-";
    }
    return nanos >= 10_000_000
        ? String.format(Locale.ROOT, "%.1f ms", nanos / 1e6)
        : String.format(Locale.ROOT, "%.1f µs", nanos / 1e3);
  }
}
