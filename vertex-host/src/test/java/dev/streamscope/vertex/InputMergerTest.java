package dev.streamscope.vertex;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamscope.rstream.InMemoryRStream;
import dev.streamscope.rstream.StreamEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The merge order of {@link InputMerger}: a function of the streams' content alone. */
class InputMergerTest {

  /** One epoch to write: {@code elements} data events, then a punctuation at {@code watermark}. */
  private record Epoch(int elements, long watermarkMillis) {}

  /** A channel's content, epoch by epoch; {@link #publishUpTo} writes it in any increments. */
  private static final class Feed {
    final InMemoryRStream stream;
    final List<StreamEvent> events = new ArrayList<>();
    int written;

    Feed(String id, List<Epoch> epochs) {
      this(id, epochs, false);
    }

    Feed(String id, List<Epoch> epochs, boolean ends) {
      stream = new InMemoryRStream(id, "producer");
      for (Epoch epoch : epochs) {
        for (int e = 0; e < epoch.elements(); e++) {
          byte[] payload = (id + ":" + events.size()).getBytes(StandardCharsets.UTF_8);
          events.add(StreamEvent.data(events.size(), payload));
        }
        events.add(StreamEvent.watermark(events.size(), epoch.watermarkMillis()));
      }
      if (ends) {
        events.add(StreamEvent.end(events.size()));
      }
    }

    void publishUpTo(int count) {
      for (; written < Math.min(count, events.size()); written++) {
        stream.write(events.get(written));
      }
      stream.publish();
    }

    void publishAll() {
      publishUpTo(events.size());
    }
  }

  private static List<Epoch> epochs(int count, int elements, long watermarkStepMillis) {
    List<Epoch> epochs = new ArrayList<>();
    for (int k = 1; k <= count; k++) {
      epochs.add(new Epoch(elements, k * watermarkStepMillis));
    }
    return epochs;
  }

  private static InputMerger merger(List<Feed> feeds, int[] inputOfFeed, int inputCount) {
    List<InputMerger.Channel> channels = new ArrayList<>();
    for (int i = 0; i < feeds.size(); i++) {
      channels.add(new InputMerger.Channel(feeds.get(i).stream, inputOfFeed[i]));
    }
    return new InputMerger(channels, inputCount, false);
  }

  /** Takes events until the merger waits; each as "stream@seq". */
  private static List<String> drain(InputMerger merger) {
    List<String> taken = new ArrayList<>();
    for (StreamEvent event; (event = merger.next()) != null; ) {
      taken.add(merger.lastChannel().stream.id() + "@" + event.seq());
    }
    return taken;
  }

  @Test
  void aPartitionThatPunctuatesMoreOftenIsNotLeftBehind() {
    // Two partitions of one input, the same event time: one closes an epoch every element, the
    // other every ten. Taken in turn by count, the first would be read one epoch per ten elements
    // of the second, 89 of its 100 epochs left waiting once the second is read out.
    Feed often = new Feed("often", epochs(100, 1, 1));
    Feed rarely = new Feed("rarely", epochs(10, 10, 10));
    often.publishAll();
    rarely.publishAll();
    InputMerger merger = merger(List.of(often, rarely), new int[] {0, 0}, 1);

    drain(merger);

    assertEquals(often.events.size(), merger.positions().get(0).position());
    assertEquals(rarely.events.size(), merger.positions().get(1).position());
  }

  @Test
  void partitionsAreTakenInEventTimeOrder() {
    Feed early = new Feed("a", epochs(3, 1, 10)); // watermarks 10, 20, 30
    Feed late = new Feed("b", List.of(new Epoch(1, 25), new Epoch(1, 30)));
    early.publishAll();
    late.publishAll();

    List<String> order = drain(merger(List.of(early, late), new int[] {0, 0}, 1));

    // a to 10; b (still at the start of time) to 25; a (10) to 20; a (20) to 30; b (25) to 30.
    assertEquals(
        List.of("a@0", "a@1", "b@0", "b@1", "a@2", "a@3", "a@4", "a@5", "b@2", "b@3"), order);
  }

  @Test
  void inputsAreTakenInEventTimeOrderToo() {
    // A side input at the start of time until it ends: read before the main input goes on past
    // its first epoch (the main input's elements would wait for it in the step's state anyway).
    Feed main = new Feed("main", epochs(3, 2, 100));
    List<Epoch> sideEpochs = List.of(new Epoch(1, Long.MIN_VALUE), new Epoch(1, Long.MIN_VALUE));
    Feed side = new Feed("side", sideEpochs, true);
    main.publishAll();
    side.publishAll();

    List<String> order = drain(merger(List.of(main, side), new int[] {0, 1}, 2));

    assertEquals(
        List.of("main@0", "main@1", "main@2", "side@0", "side@1", "side@2", "side@3", "side@4",
            "main@3", "main@4", "main@5", "main@6", "main@7", "main@8"),
        order);
  }

  /**
   * While the merge waits for one channel, the writers of the others are told not to wait for
   * this reader (they may be what the awaited channel waits for); once it has data, they are told
   * again that it reads.
   */
  @Test
  void whileTheMergeWaitsForAChannelTheOthersWritersAreNotHeldBack() {
    Feed side = new Feed("side", List.of(new Epoch(1, Long.MIN_VALUE)));
    Feed main = new Feed("main", epochs(5, 2, 100));
    main.publishAll();
    int[] releases = {0};
    main.stream.onReleased(() -> releases[0]++);
    InputMerger merger = merger(List.of(main, side), new int[] {0, 1}, 2);

    assertEquals(List.of("main@0", "main@1", "main@2"), drain(merger)); // Then the side's turn.

    assertTrue(main.stream.readerWaitsElsewhere());
    assertFalse(side.stream.readerWaitsElsewhere());
    assertEquals(1, releases[0], "a writer waiting for a release goes on");
    drain(merger);
    assertEquals(1, releases[0], "told once per wait");

    side.publishAll();
    assertEquals(0, merger.next().seq());
    assertFalse(main.stream.readerWaitsElsewhere(), "the merge reads again");
    assertEquals(List.of("side@1"), drain(merger)); // Still at the start of time: its turn again.
    assertTrue(main.stream.readerWaitsElsewhere(), "waiting for the side's next epoch");
    assertEquals(2, releases[0]);
  }

  @Test
  void theOrderDoesNotDependOnWhenEventsArrive() {
    List<Epoch> a = new ArrayList<>();
    List<Epoch> b = new ArrayList<>();
    List<Epoch> c = new ArrayList<>();
    SplittableRandom random = new SplittableRandom(42);
    for (long wa = 0, wb = 0, wc = 0; wa < 5_000 || wb < 5_000 || wc < 5_000; ) {
      a.add(new Epoch(random.nextInt(4), wa += random.nextInt(1, 30)));
      b.add(new Epoch(random.nextInt(8), wb += random.nextInt(1, 200)));
      c.add(new Epoch(random.nextInt(3), wc += random.nextInt(1, 60)));
    }
    int[] inputs = {0, 0, 1};

    List<Feed> atOnce = feeds(a, b, c);
    atOnce.forEach(Feed::publishAll);
    List<String> expected = drain(merger(atOnce, inputs, 2));

    List<Feed> trickled = feeds(a, b, c);
    InputMerger merger = merger(trickled, inputs, 2);
    List<String> taken = new ArrayList<>();
    while (trickled.stream().anyMatch(feed -> feed.written < feed.events.size())) {
      Feed feed = trickled.get(random.nextInt(trickled.size()));
      feed.publishUpTo(feed.written + random.nextInt(1, 40));
      taken.addAll(drain(merger));
    }

    assertEquals(atOnce.stream().mapToInt(feed -> feed.events.size()).sum(), expected.size());
    assertEquals(expected, taken);
  }

  private static List<Feed> feeds(List<Epoch> a, List<Epoch> b, List<Epoch> c) {
    return List.of(new Feed("a", a, true), new Feed("b", b, true), new Feed("c", c, true));
  }

  @Test
  void aRestoredMergeContinuesInTheSameOrder() {
    List<Epoch> a = epochs(50, 3, 7);
    List<Epoch> b = epochs(40, 2, 11);
    List<Feed> feeds = List.of(new Feed("a", a), new Feed("b", b));
    feeds.forEach(Feed::publishAll);
    List<String> expected = drain(merger(feeds, new int[] {0, 0}, 1));

    InputMerger first = merger(feeds, new int[] {0, 0}, 1);
    List<String> taken = new ArrayList<>();
    StreamEvent event;
    do { // Up to the end of an epoch, where a vertex snapshots.
      event = first.next();
      taken.add(first.lastChannel().stream.id() + "@" + event.seq());
    } while (taken.size() < 100 || event.isData());
    InputMerger restored = merger(feeds, new int[] {0, 0}, 1);
    restored.restore(first.positions(), first.turn());
    taken.addAll(drain(restored));

    assertEquals(expected, taken);
  }
}
