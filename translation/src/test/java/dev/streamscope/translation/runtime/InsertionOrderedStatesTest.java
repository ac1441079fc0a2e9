package dev.streamscope.translation.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.state.ReadableState;
import org.junit.jupiter.api.Test;

class InsertionOrderedStatesTest {
  private static <T> List<T> list(Iterable<T> values) {
    List<T> list = new ArrayList<>();
    values.forEach(list::add);
    return list;
  }

  @Test
  void aSetIteratesInInsertionOrderAndReAddingMovesNothing() {
    InsertionOrderedStates.OrderedSet<Integer> set = new InsertionOrderedStates.OrderedSet<>();
    for (int i : new int[] {64, 1, 33, 1, 16}) {
      set.add(i);
    }
    assertFalse(set.addIfAbsent(33).read());
    set.remove(1);
    set.add(1);
    assertEquals(List.of(64, 33, 16, 1), list(set.read()));
  }

  @Test
  void aMapKeepsInsertionOrderAndComputeIfAbsentReturnsThePreviousValue() {
    InsertionOrderedStates.OrderedMap<String, Integer> map =
        new InsertionOrderedStates.OrderedMap<>();
    map.put("z", 1);
    map.put("a", 2);
    assertNull(map.computeIfAbsent("m", k -> 3).read());
    assertEquals(2, map.computeIfAbsent("a", k -> 9).read());
    map.put("z", 4);
    assertEquals(List.of("z", "a", "m"), list(map.keys().read()));
    assertEquals(List.of(4, 2, 3), list(map.values().read()));
  }

  /** Views are read when read, after a clear too (clear swaps the contents). */
  @Test
  void viewsTakenBeforeAClearSeeItsResult() {
    InsertionOrderedStates.OrderedMultimap<String, Integer> multimap =
        new InsertionOrderedStates.OrderedMultimap<>(StringUtf8Coder.of());
    multimap.put("b", 1);
    multimap.put("a", 2);
    multimap.put("b", 3);
    ReadableState<Boolean> isEmpty = multimap.isEmpty();
    ReadableState<Iterable<Map.Entry<String, Integer>>> entries = multimap.entries();
    assertEquals("[b=1, b=3, a=2]", list(entries.read()).toString());
    multimap.clear();
    assertTrue(isEmpty.read());
    assertTrue(list(entries.read()).isEmpty());

    InsertionOrderedStates.OrderedSet<Integer> set = new InsertionOrderedStates.OrderedSet<>();
    set.add(1);
    ReadableState<Boolean> setEmpty = set.isEmpty();
    set.clear();
    assertTrue(setEmpty.read());
  }
}
