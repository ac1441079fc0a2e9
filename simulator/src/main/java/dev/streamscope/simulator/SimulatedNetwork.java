package dev.streamscope.simulator;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The network between vertices, as far as the simulation models it: the notifications an rStream
 * sends (a "published" wake-up from writer to reader, a "released" one back) and whether a
 * reader can reach a stream on another worker at all. With no network fault switched on a
 * notification is delivered at once, as in one process.
 *
 * <p>{@link Faults#MESSAGE_DELAY}: each link (ordered pair of workers) has a seeded latency, and
 * its notifications arrive in order. {@link Faults#MESSAGE_REORDER}: each notification gets its
 * own random delay, so later ones may overtake earlier ones. {@link Faults#MESSAGE_DUPLICATION}:
 * some notifications arrive twice. {@link Faults#MESSAGE_LOSS}: some never arrive (the vertex host
 * re-polls an idle vertex's inputs, so a lost wake-up costs time, not liveness). {@link
 * Faults#NETWORK_PARTITION}: for a while a worker is cut
 * off from the others: notifications between them are held, and reads of streams across the cut
 * find nothing; when it heals the held notifications arrive and every reader that found nothing
 * is woken (the answer to its read arrives late, it is not lost).
 */
final class SimulatedNetwork {
  /** Fault knobs; a disabled fault contributes nothing. Each link's latency is 1..linkLatencyMsMax. */
  record Knobs(
      Set<Faults> faults,
      long linkLatencyMsMax,
      long reorderDelayMsMax,
      double duplicationProbability,
      double lossProbability,
      long partitionMsMin,
      long partitionMsMax) {
    static Knobs defaults(Set<Faults> faults) {
      return new Knobs(faults, 20, 30, 0.1, 0.2, 10, 300);
    }
  }

  private final SimulationLoop loop;
  private final Probes probes;
  private final Knobs knobs;
  private final Map<Long, Long> linkLatencyMs = new TreeMap<>();
  private final Map<Long, Long> linkLastDeliveryMillis = new TreeMap<>();
  private final List<Runnable> held = new ArrayList<>();
  private final List<Runnable> stalledReaders = new ArrayList<>();
  private int partitionedWorker = -1;

  SimulatedNetwork(SimulationLoop loop, Probes probes, Knobs knobs) {
    this.loop = loop;
    this.probes = probes;
    this.knobs = knobs;
  }

  private boolean enabled(Faults fault) {
    return knobs.faults().contains(fault);
  }

  /** True while worker {@code from} cannot reach worker {@code to}. */
  boolean cut(int from, int to) {
    return partitionedWorker >= 0 && from != to && (from == partitionedWorker || to == partitionedWorker);
  }

  /** Sends {@code notification} from worker {@code from} to worker {@code to}. */
  void deliver(int from, int to, String label, Runnable notification) {
    if (cut(from, to)) {
      held.add(notification);
      return;
    }
    if (enabled(Faults.MESSAGE_LOSS) && loop.random().nextDouble() < knobs.lossProbability()) {
      probes.hit("message-loss");
      return;
    }
    long delayMs = 0;
    long link = ((long) from << 32) | to;
    if (enabled(Faults.MESSAGE_DELAY)) {
      long latency =
          linkLatencyMs.computeIfAbsent(link, l -> 1 + loop.random().nextLong(knobs.linkLatencyMsMax()));
      probes.hit("message-delay");
      // In order per link: never before the link's previous notification.
      long at = Math.max(loop.nowMillis() + latency, linkLastDeliveryMillis.getOrDefault(link, 0L));
      linkLastDeliveryMillis.put(link, at);
      delayMs = at - loop.nowMillis();
    }
    if (enabled(Faults.MESSAGE_REORDER)) {
      probes.hit("message-reorder");
      delayMs += loop.random().nextLong(knobs.reorderDelayMsMax() + 1);
    }
    if (enabled(Faults.MESSAGE_DUPLICATION) && loop.random().nextDouble() < knobs.duplicationProbability()) {
      probes.hit("message-duplication");
      long againMs = delayMs + loop.random().nextLong(knobs.reorderDelayMsMax() + 1);
      loop.at(loop.nowMillis() + againMs, label + " (duplicate)", notification);
    }
    if (delayMs == 0 && !enabled(Faults.MESSAGE_DELAY) && !enabled(Faults.MESSAGE_REORDER)) {
      notification.run();
    } else {
      loop.at(loop.nowMillis() + delayMs, label, notification);
    }
  }

  /**
   * A reader on worker {@code to} found a stream on worker {@code from} out of reach: {@code
   * wake} runs when the partition heals.
   */
  void readStalled(Runnable wake) {
    probes.hit("read stalled by a partition");
    stalledReaders.add(wake);
  }

  /** Cuts {@code worker} off from the others for {@code durationMs}, then heals. */
  void partition(int worker, long durationMs) {
    if (partitionedWorker >= 0) {
      return; // One partition at a time.
    }
    probes.hit("network-partition");
    partitionedWorker = worker;
    loop.at(loop.nowMillis() + durationMs, "heal worker#" + worker, this::heal);
  }

  /** A seeded partition length. */
  long partitionMs() {
    return knobs.partitionMsMin() + loop.random().nextLong(knobs.partitionMsMax() - knobs.partitionMsMin() + 1);
  }

  private void heal() {
    partitionedWorker = -1;
    List<Runnable> late = new ArrayList<>(held);
    late.addAll(stalledReaders);
    held.clear();
    stalledReaders.clear();
    late.forEach(Runnable::run);
  }
}
