package dev.streamscope.translation.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.runners.core.StateTag;
import org.apache.beam.runners.core.StateTags;
import org.apache.beam.sdk.coders.BigEndianLongCoder;
import org.apache.beam.sdk.coders.ByteCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.SetState;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.state.WatermarkHoldState;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

class KeyedStatesTest {
  private static final StateTag<BagState<Integer>> BAG = StateTags.bag("bag", VarIntCoder.of());
  private static final StateTag<ValueState<String>> VALUE =
      StateTags.value("value", StringUtf8Coder.of());
  private static final StateTag<SetState<Integer>> SET = StateTags.set("set", VarIntCoder.of());
  private static final StateTag<MapState<String, Integer>> MAP =
      StateTags.map("map", StringUtf8Coder.of(), VarIntCoder.of());
  private static final StateTag<WatermarkHoldState> HOLD =
      StateTags.watermarkStateInternal("hold", TimestampCombiner.EARLIEST);
  private static final StateNamespace WINDOW =
      StateNamespaces.window(
          IntervalWindow.getCoder(), new IntervalWindow(new Instant(0), new Instant(10_000)));

  private static ByteKey key(String key) {
    return new ByteKey(key.getBytes(StandardCharsets.UTF_8));
  }

  private static KeyedStates states() {
    return new KeyedStates(bytes -> new String(bytes, StandardCharsets.UTF_8));
  }

  private static byte[] snapshot(KeyedStates states) throws Exception {
    return SnapshotIo.toBytes(states::snapshot);
  }

  private static KeyedStates restored(byte[] snapshot) throws Exception {
    KeyedStates states = states();
    states.restore(SnapshotIo.reader(snapshot));
    return states;
  }

  private static KeyedStates filled() {
    KeyedStates states = states();
    KeyedStates.KeyState a = states.forKey(key("a"), "a");
    a.state(WINDOW, BAG).add(3);
    a.state(WINDOW, BAG).add(1);
    a.state(StateNamespaces.global(), VALUE).write("hello");
    a.state(WINDOW, HOLD).add(new Instant(4_000));
    KeyedStates.KeyState b = states.forKey(key("b"), "b");
    for (int i = 20; i > 0; i--) {
      b.state(WINDOW, SET).add(i * 7);
    }
    b.state(WINDOW, SET).remove(70);
    b.state(WINDOW, MAP).put("z", 1);
    b.state(WINDOW, MAP).put("a", 2);
    b.state(WINDOW, HOLD).add(new Instant(2_500));
    b.state(WINDOW, VALUE).write("cleared");
    b.state(WINDOW, VALUE).clear();
    return states;
  }

  @Test
  void aRestoreReadsBackEveryCellWithItsIterationOrder() throws Exception {
    KeyedStates original = filled();
    KeyedStates copy = restored(snapshot(original));
    KeyedStates.KeyState a = copy.forKey(key("a"), null);
    assertEquals("a", a.getKey());
    assertEquals(List.of(3, 1), list(a.state(WINDOW, BAG).read()));
    assertEquals("hello", a.state(StateNamespaces.global(), VALUE).read());
    KeyedStates.KeyState b = copy.forKey(key("b"), null);
    KeyedStates.KeyState originalB = original.forKey(key("b"), null);
    assertEquals(
        list(originalB.state(WINDOW, SET).read()), list(b.state(WINDOW, SET).read()));
    assertEquals(List.of("z", "a"), list(b.state(WINDOW, MAP).keys().read()));
    assertNull(b.state(WINDOW, VALUE).read());
  }

  @Test
  void holdsCountFromTheRestoreOnAndMoveWithTheirCells() throws Exception {
    KeyedStates copy = restored(snapshot(filled()));
    assertEquals(2_500, copy.holdMillis(), "before any cell is read back");
    copy.forKey(key("b"), null).state(WINDOW, HOLD).clear();
    assertEquals(4_000, copy.holdMillis());
    WatermarkHoldState hold = copy.forKey(key("a"), null).state(WINDOW, HOLD);
    assertEquals(new Instant(4_000), hold.read());
    hold.clear();
    assertEquals(Long.MAX_VALUE, copy.holdMillis());
  }

  /** Cells no one asked for since the restore go into the next snapshot as they came. */
  @Test
  void untouchedCellsCarryOverIntoTheNextSnapshot() throws Exception {
    byte[] first = snapshot(filled());
    KeyedStates copy = restored(first);
    copy.forKey(key("a"), null).state(WINDOW, BAG).read();
    copy.forKey(key("b"), null).state(WINDOW, MAP).entries().read();
    assertArrayEquals(first, snapshot(copy));
  }

  @Test
  void aCellBoundAsAnotherKindThanItWasSavedFails() throws Exception {
    KeyedStates copy = restored(snapshot(filled()));
    StateTag<ValueState<Integer>> notABag = StateTags.value("bag", VarIntCoder.of());
    IllegalStateException wrong =
        assertThrows(
            IllegalStateException.class, () -> copy.forKey(key("a"), null).state(WINDOW, notABag));
    assertTrue(wrong.getMessage().contains("BAG"), wrong.getMessage());
  }

  /**
   * A cell's values share one block: a coder that reads more or less than was written fails at
   * that cell, naming it, instead of misreading the cells after it.
   */
  @Test
  void aCellWhoseCoderReadsMoreOrLessThanWasWrittenFailsNamingIt() throws Exception {
    KeyedStates copy = restored(snapshot(filled()));
    StateTag<BagState<Long>> wider = StateTags.bag("bag", BigEndianLongCoder.of());
    IllegalStateException tooMuch =
        assertThrows(IllegalStateException.class, () -> copy.forKey(key("a"), null).state(WINDOW, wider));
    assertTrue(tooMuch.getMessage().contains("state cell 'bag in namespace"), tooMuch.getMessage());
    StateTag<ValueState<Byte>> narrower = StateTags.value("value", ByteCoder.of());
    IllegalStateException tooLittle =
        assertThrows(
            IllegalStateException.class,
            () -> copy.forKey(key("a"), null).state(StateNamespaces.global(), narrower));
    assertTrue(
        tooLittle.getMessage().contains("state cell 'value in namespace")
            && tooLittle.getMessage().contains("5 bytes of its snapshot were not read"),
        tooLittle.getMessage());
  }

  /**
   * A window whose cells were all cleared is dropped; one with contents is kept; a later access
   * binds empty cells; cells waiting from a restore are not lost; snapshots do not change.
   */
  @Test
  void emptyWindowsAreForgottenWithoutChangingWhatTheyHold() throws Exception {
    KeyedStates states = filled();
    KeyedStates.KeyState a = states.forKey(key("a"), null);
    assertEquals(0, a.forgetEmptyWindows(), "the window still holds a bag and a hold");
    byte[] before = snapshot(states);
    a.state(WINDOW, BAG).clear();
    a.state(WINDOW, HOLD).clear();
    byte[] cleared = snapshot(states);
    assertEquals(1, a.forgetEmptyWindows());
    assertArrayEquals(cleared, snapshot(states));
    assertEquals(2_500, states.holdMillis(), "b's hold only");
    assertEquals(List.of(), list(a.state(WINDOW, BAG).read()));
    assertNull(a.state(WINDOW, HOLD).read());
    assertEquals(1, a.forgetEmptyWindows(), "bound again, still empty");
    assertEquals("hello", a.state(StateNamespaces.global(), VALUE).read(), "the global one stays");

    KeyedStates copy = restored(before);
    KeyedStates.KeyState restoredA = copy.forKey(key("a"), null);
    restoredA.state(WINDOW, HOLD).clear();
    assertEquals(1, restoredA.forgetEmptyWindows(), "the hold was the only live cell");
    assertEquals(List.of(3, 1), list(restoredA.state(WINDOW, BAG).read()), "read back after all");
  }

  /**
   * Empty windows go, the global namespace stays (a ReduceFnRunner holds its cell for life); a key
   * goes only once no cell of it holds anything, restored ones included.
   */
  @Test
  void aKeyIsForgottenOnlyOnceNothingOfItHoldsAnything() throws Exception {
    KeyedStates states = filled();
    KeyedStates.KeyState a = states.forKey(key("a"), null);
    assertFalse(states.forgetKeyIfEmpty(key("a")), "a holds a bag, a hold and a value");
    a.state(WINDOW, BAG).clear();
    a.state(WINDOW, HOLD).clear();
    a.forgetEmptyWindows();
    assertFalse(states.forgetKeyIfEmpty(key("a")), "the global value is still there");
    a.state(StateNamespaces.global(), VALUE).clear();
    a.forgetEmptyWindows();
    assertTrue(states.forgetKeyIfEmpty(key("a")), "an empty global cell does not keep the key");
    assertEquals(1, states.keyCount());
    assertFalse(states.forgetKeyIfEmpty(key("a")), "already gone");
    assertNull(states.forKey(key("a"), "a").state(StateNamespaces.global(), VALUE).read());

    KeyedStates copy = restored(snapshot(filled()));
    assertFalse(copy.forgetKeyIfEmpty(key("b")), "b's cells wait from the restore, unread");
    assertEquals(2, copy.keyCount());
  }

  private static <T> List<T> list(Iterable<T> values) {
    java.util.ArrayList<T> list = new java.util.ArrayList<>();
    values.forEach(list::add);
    return list;
  }
}
