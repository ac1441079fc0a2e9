package dev.streamscope.translation.runtime;

import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.MultimapState;
import org.apache.beam.sdk.state.ReadableState;
import org.apache.beam.sdk.state.ReadableStates;
import org.apache.beam.sdk.state.SetState;

/**
 * In-memory set, map and multimap state that iterate in insertion order. runners-core's in-memory
 * versions iterate in hash order, which depends on the table's history (its capacity only grows)
 * and, for elements without a value-based hash, on the JVM run: a DoFn emitting in iteration order
 * would then differ between a replay and the original, and between an operator restored from a
 * snapshot (which re-inserts the contents) and the one that took it. Insertion order is a function
 * of the operations alone, and re-inserting a snapshot's contents in iteration order rebuilds it.
 * Otherwise they behave as runners-core's (same equality: the set and map use {@code equals}, the
 * multimap the key coder's structural value).
 */
final class InsertionOrderedStates {
  private InsertionOrderedStates() {}

  /**
   * A view read when its {@code read()} is called, from the contents at that time ({@code clear}
   * replaces the contents, so views must not capture them).
   */
  private static <T> ReadableState<T> later(java.util.function.Supplier<T> read) {
    return new ReadableState<T>() {
      @Override
      public T read() {
        return read.get();
      }

      @Override
      public ReadableState<T> readLater() {
        return this;
      }
    };
  }

  /** Set state in insertion order. */
  static final class OrderedSet<T> implements SetState<T> {
    private LinkedHashSet<T> contents = new LinkedHashSet<>();

    @Override
    public ReadableState<Boolean> contains(T t) {
      return ReadableStates.immediate(contents.contains(t));
    }

    @Override
    public ReadableState<Boolean> addIfAbsent(T t) {
      return ReadableStates.immediate(contents.add(t));
    }

    @Override
    public void remove(T t) {
      contents.remove(t);
    }

    @Override
    public void add(T value) {
      contents.add(value);
    }

    @Override
    public ReadableState<Boolean> isEmpty() {
      return later(() -> contents.isEmpty());
    }

    /** A copy: later changes do not show in what was read. */
    @Override
    public Iterable<T> read() {
      return Collections.unmodifiableList(new ArrayList<>(contents));
    }

    @Override
    public SetState<T> readLater() {
      return this;
    }

    @Override
    public void clear() {
      contents = new LinkedHashSet<>();
    }
  }

  /** Map state in insertion order. */
  static final class OrderedMap<K, V> implements MapState<K, V> {
    private LinkedHashMap<K, V> contents = new LinkedHashMap<>();

    @Override
    public void put(K key, V value) {
      contents.put(key, value);
    }

    /** As runners-core's: stores the computed value if absent and returns the previous one. */
    @Override
    public ReadableState<V> computeIfAbsent(
        K key, Function<? super K, ? extends V> mappingFunction) {
      V previous = contents.get(key);
      if (previous == null) {
        contents.put(key, mappingFunction.apply(key));
      }
      return ReadableStates.immediate(previous);
    }

    @Override
    public void remove(K key) {
      contents.remove(key);
    }

    @Override
    public ReadableState<V> get(K key) {
      return getOrDefault(key, null);
    }

    @Override
    public ReadableState<V> getOrDefault(K key, V defaultValue) {
      return later(() -> contents.getOrDefault(key, defaultValue));
    }

    @Override
    public ReadableState<Iterable<K>> keys() {
      return later(() -> Collections.unmodifiableList(new ArrayList<>(contents.keySet())));
    }

    @Override
    public ReadableState<Iterable<V>> values() {
      return later(() -> Collections.unmodifiableList(new ArrayList<>(contents.values())));
    }

    @Override
    public ReadableState<Iterable<Map.Entry<K, V>>> entries() {
      return later(
          () -> {
            List<Map.Entry<K, V>> entries = new ArrayList<>(contents.size());
            for (Map.Entry<K, V> entry : contents.entrySet()) {
              entries.add(new AbstractMap.SimpleImmutableEntry<>(entry.getKey(), entry.getValue()));
            }
            return Collections.unmodifiableList(entries);
          });
    }

    @Override
    public ReadableState<Boolean> isEmpty() {
      return later(() -> contents.isEmpty());
    }

    @Override
    public void clear() {
      contents = new LinkedHashMap<>();
    }
  }

  /** Multimap state: keys in insertion order, each key's values in insertion order. */
  static final class OrderedMultimap<K, V> implements MultimapState<K, V> {
    private final Coder<K> keyCoder;
    /** By the key coder's structural value: the key as first put, and its values. */
    private LinkedHashMap<Object, Map.Entry<K, List<V>>> contents = new LinkedHashMap<>();

    OrderedMultimap(Coder<K> keyCoder) {
      this.keyCoder = keyCoder;
    }

    @Override
    public void put(K key, V value) {
      contents
          .computeIfAbsent(
              keyCoder.structuralValue(key),
              structural -> new AbstractMap.SimpleImmutableEntry<>(key, new ArrayList<>()))
          .getValue()
          .add(value);
    }

    @Override
    public ReadableState<Iterable<V>> get(K key) {
      return later(
          () -> {
            Map.Entry<K, List<V>> entry = contents.get(keyCoder.structuralValue(key));
            return entry == null
                ? Collections.<V>emptyList()
                : Collections.unmodifiableList(new ArrayList<>(entry.getValue()));
          });
    }

    @Override
    public void remove(K key) {
      contents.remove(keyCoder.structuralValue(key));
    }

    @Override
    public ReadableState<Iterable<K>> keys() {
      return later(
          () -> {
            List<K> keys = new ArrayList<>(contents.size());
            for (Map.Entry<K, List<V>> entry : contents.values()) {
              keys.add(entry.getKey());
            }
            return Collections.unmodifiableList(keys);
          });
    }

    @Override
    public ReadableState<Iterable<Map.Entry<K, V>>> entries() {
      return later(
          () -> {
            List<Map.Entry<K, V>> entries = new ArrayList<>();
            for (Map.Entry<K, List<V>> entry : contents.values()) {
              for (V value : entry.getValue()) {
                entries.add(new AbstractMap.SimpleImmutableEntry<>(entry.getKey(), value));
              }
            }
            return Collections.unmodifiableList(entries);
          });
    }

    @Override
    public ReadableState<Boolean> containsKey(K key) {
      return later(() -> contents.containsKey(keyCoder.structuralValue(key)));
    }

    @Override
    public ReadableState<Boolean> isEmpty() {
      return later(() -> contents.isEmpty());
    }

    @Override
    public void clear() {
      contents = new LinkedHashMap<>();
    }
  }
}
