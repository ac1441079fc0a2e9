package dev.streamscope.translation.runtime;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.runners.core.InMemoryStateInternals;
import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.runners.core.StateTag;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.CombiningState;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.MultimapState;
import org.apache.beam.sdk.state.OrderedListState;
import org.apache.beam.sdk.state.ReadableState;
import org.apache.beam.sdk.state.SetState;
import org.apache.beam.sdk.state.State;
import org.apache.beam.sdk.state.StateContext;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.state.WatermarkHoldState;
import org.apache.beam.sdk.transforms.Combine.CombineFn;
import org.apache.beam.sdk.transforms.CombineWithContext.CombineFnWithContext;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.joda.time.Instant;

/**
 * The runners-core state of every key of one keyed step: in-memory cells (runners-core's, except
 * set, map and multimap: {@link InsertionOrderedStates}), each bound with its coders so that it
 * can be snapshotted. Watermark holds are indexed as they are written, so the step's earliest hold
 * is a lookup, not a scan over every key and window.
 *
 * <p>Snapshot: for each key, each (namespace, tag id) cell with contents, its kind and encoded
 * contents. Restore is lazy: the encoded cells wait, by namespace string key and tag id, until
 * runners-core first asks for that cell; only then is its coder known (from the tag), and the cell
 * is filled. Cells never asked for go into the next snapshot as they came. Holds are indexed at
 * once, since the step's output watermark depends on them from the start.
 */
public final class KeyedStates {
  /** Turns a key's encoded bytes back into the key object runners-core and user code see. */
  @FunctionalInterface
  public interface KeyDecoder {
    Object decode(byte[] keyBytes) throws IOException;
  }

  /** A restored hold whose cell runners-core has not asked for yet, by its cell's name. */
  private record RestoredHoldId(ByteKey key, String namespace, String tagId) {}

  private final KeyDecoder keyDecoder;
  private final Map<ByteKey, KeyState> states = new HashMap<>();
  /** Holds restored but not yet bound; bound holds keep their own place in the index. */
  private final Map<RestoredHoldId, Long> restoredHolds = new HashMap<>();
  /** How many holds (bound or restored) sit at each instant. */
  private final TreeMap<Long, Integer> holdCounts = new TreeMap<>();

  public KeyedStates(KeyDecoder keyDecoder) {
    this.keyDecoder = keyDecoder;
  }

  /**
   * State of one key; {@code keyObject} is what {@code StateInternals.getKey()} returns, or null
   * to decode it from the key's bytes if the key is new (a timer firing for a restored key).
   */
  public KeyState forKey(ByteKey key, Object keyObject) {
    KeyState state = states.get(key);
    if (state == null) {
      state = new KeyState(key, keyObject != null ? keyObject : decode(key));
      states.put(key, state);
    }
    return state;
  }

  private Object decode(ByteKey key) {
    try {
      return keyDecoder.decode(key.bytes());
    } catch (IOException e) {
      throw new IllegalStateException("Cannot decode a state key: " + e.getMessage(), e);
    }
  }

  /** How many keys have state in memory (live cells, or cells waiting from a restore). */
  public int keyCount() {
    return states.size();
  }

  /**
   * Drops {@code key} if no cell of it holds anything (nor waits from a restore), and says whether
   * it did. For a key its step is done with for now (no timer pending either): without this every
   * key ever seen would keep an entry, and a stream with ever new keys (sessions, users) would grow
   * the state without bound. A later access starts the key afresh, which reads as the cleared one
   * did; whoever held the key's cells (a ReduceFnRunner) must be dropped with it.
   */
  public boolean forgetKeyIfEmpty(ByteKey key) {
    KeyState state = states.get(key);
    if (state == null || !state.holdsNothing()) {
      return false;
    }
    states.remove(key);
    return true;
  }

  /** Earliest watermark hold over all keys, or {@code Long.MAX_VALUE}. */
  public long holdMillis() {
    return holdCounts.isEmpty() ? Long.MAX_VALUE : holdCounts.firstKey();
  }

  /** Moves one hold in the index from {@code previous} to {@code current} (null: none). */
  private void moveHold(Long previous, Long current) {
    if (previous != null) {
      holdCounts.computeIfPresent(previous, (millis, count) -> count == 1 ? null : count - 1);
    }
    if (current != null) {
      holdCounts.merge(current, 1, Integer::sum);
    }
  }

  /** Writes every key's cells that hold something (keys in byte order, cells by name). */
  public void snapshot(DataOutputStream out) throws IOException {
    TreeMap<ByteKey, TreeMap<CellName, byte[]>> byKey = new TreeMap<>();
    for (KeyState state : states.values()) {
      TreeMap<CellName, byte[]> cells = state.encodedCells();
      if (!cells.isEmpty()) {
        byKey.put(state.key, cells);
      }
    }
    out.writeInt(byKey.size());
    for (Map.Entry<ByteKey, TreeMap<CellName, byte[]>> key : byKey.entrySet()) {
      SnapshotIo.writeBytes(out, key.getKey().bytes());
      out.writeInt(key.getValue().size());
      for (Map.Entry<CellName, byte[]> cell : key.getValue().entrySet()) {
        SnapshotIo.writeString(out, cell.getKey().namespace());
        SnapshotIo.writeString(out, cell.getKey().tagId());
        SnapshotIo.writeBytes(out, cell.getValue());
      }
    }
  }

  /** Loads what {@link #snapshot} wrote, into states that are still empty. */
  public void restore(DataInputStream in) throws IOException {
    if (!states.isEmpty()) {
      throw new IllegalStateException("Restoring state into a step that already has state");
    }
    int keys = in.readInt();
    for (int k = 0; k < keys; k++) {
      ByteKey key = new ByteKey(SnapshotIo.readBytes(in));
      KeyState state = forKey(key, null);
      int cells = in.readInt();
      for (int c = 0; c < cells; c++) {
        CellName name = new CellName(SnapshotIo.readString(in), SnapshotIo.readString(in));
        state.addRestored(name, SnapshotIo.readBytes(in));
      }
    }
  }

  /** A cell's name in a snapshot: its namespace's string key and its tag id. */
  private record CellName(String namespace, String tagId) implements Comparable<CellName> {
    @Override
    public int compareTo(CellName other) {
      int byNamespace = namespace.compareTo(other.namespace);
      return byNamespace != 0 ? byNamespace : tagId.compareTo(other.tagId);
    }

    @Override
    public String toString() {
      return tagId + " in namespace " + namespace;
    }
  }

  /** In-memory state of one key whose watermark holds report to the step's index. */
  public final class KeyState implements StateInternals {
    private final ByteKey key;
    private final Object keyObject;
    private final Map<StateNamespace, Map<String, StateCell>> cells = new HashMap<>();
    /** Restored cells runners-core has not asked for yet: by cell name, kind byte + contents. */
    private final Map<CellName, byte[]> restored = new HashMap<>();

    KeyState(ByteKey key, Object keyObject) {
      this.key = key;
      this.keyObject = keyObject;
    }

    @Override
    public Object getKey() {
      return keyObject;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T extends State> T state(
        StateNamespace namespace, StateTag<T> address, StateContext<?> context) {
      Map<String, StateCell> byTag = cells.get(namespace);
      if (byTag == null) {
        byTag = new HashMap<>();
        cells.put(namespace, byTag);
      }
      StateCell cell = byTag.get(address.getId());
      if (cell == null) {
        cell = bind(namespace, address, context);
        byTag.put(address.getId(), cell);
      }
      return (T) cell.bound;
    }

    /**
     * Drops the live cells of every window namespace of the key in which none holds anything, and
     * says how many namespaces went (cells still waiting from a restore stay where they are).
     * Cleared cells stay bound, so without this a key would keep an entry for every window it ever
     * had, in memory and in every snapshot's scan: a fired window's, one past garbage collection,
     * those a session merge cleared. Only between two calls of runners-core, which holds no
     * window's cell across calls: a later access binds fresh empty cells, which read as the
     * cleared ones did. The global namespace stays: a ReduceFnRunner holds its merging-window
     * set's cell for life.
     */
    public int forgetEmptyWindows() {
      int before = cells.size();
      cells.entrySet()
          .removeIf(
              entry ->
                  entry.getKey() instanceof StateNamespaces.WindowNamespace<?>
                      && allEmpty(entry.getValue()));
      return before - cells.size();
    }

    /** Whether no cell of the key holds anything, live or waiting from a restore. */
    boolean holdsNothing() {
      if (!restored.isEmpty()) {
        return false;
      }
      for (Map<String, StateCell> byTag : cells.values()) {
        if (!allEmpty(byTag)) {
          return false;
        }
      }
      return true;
    }

    private static boolean allEmpty(Map<String, StateCell> byTag) {
      for (StateCell cell : byTag.values()) {
        if (!cell.isEmpty()) {
          return false;
        }
      }
      return true;
    }

    @SuppressWarnings("deprecation") // StateTag.bind: runners-core's StateTable binds this way.
    private StateCell bind(StateNamespace namespace, StateTag<?> address, StateContext<?> context) {
      CellBinder binder = new CellBinder(context);
      address.bind(binder);
      StateCell cell = binder.bound;
      if (!restored.isEmpty()) {
        CellName name = new CellName(namespace.stringKey(), address.getId());
        byte[] blob = restored.remove(name);
        if (blob != null) {
          fill(cell, name, blob);
        }
      }
      return cell;
    }

    private void fill(StateCell cell, CellName name, byte[] blob) {
      StateCell.Kind kind = StateCell.Kind.values()[blob[0]];
      if (kind != cell.kind) {
        throw new IllegalStateException(
            "State cell '" + name + "' was a " + kind + " in the snapshot but is bound as a "
                + cell.kind + ": the pipeline changed since the snapshot");
      }
      if (kind == StateCell.Kind.WATERMARK_HOLD) {
        // The index knew it by name; the cell re-registers it under its namespace.
        RestoredHoldId id = new RestoredHoldId(key, name.namespace(), name.tagId());
        moveHold(restoredHolds.remove(id), null);
      }
      try {
        DataInputStream in = SnapshotIo.reader(blob);
        in.readByte();
        cell.read(in);
        SnapshotIo.checkFullyRead(in, "state cell '" + name + "'");
      } catch (IOException e) {
        throw new IllegalStateException("Cannot restore state cell '" + name + "': " + e, e);
      }
    }

    void addRestored(CellName name, byte[] blob) throws IOException {
      if (blob.length == 0 || blob[0] < 0 || blob[0] >= StateCell.Kind.values().length) {
        throw new IOException("Corrupt snapshot: state cell '" + name + "' has no valid kind");
      }
      restored.put(name, blob);
      if (blob[0] == StateCell.Kind.WATERMARK_HOLD.ordinal()) {
        DataInputStream in = SnapshotIo.reader(blob);
        in.readByte();
        long millis = in.readLong();
        RestoredHoldId id = new RestoredHoldId(key, name.namespace(), name.tagId());
        moveHold(restoredHolds.put(id, millis), millis);
      }
    }

    /** Every cell with contents, live or still waiting from a restore, by cell name. */
    private TreeMap<CellName, byte[]> encodedCells() throws IOException {
      TreeMap<CellName, byte[]> encoded = new TreeMap<>(restored);
      for (Map.Entry<StateNamespace, Map<String, StateCell>> namespace : cells.entrySet()) {
        String namespaceKey = null;
        for (Map.Entry<String, StateCell> tag : namespace.getValue().entrySet()) {
          StateCell cell = tag.getValue();
          if (cell.isEmpty()) {
            continue;
          }
          if (namespaceKey == null) {
            namespaceKey = namespace.getKey().stringKey();
          }
          ByteArrayOutputStream bytes = new ByteArrayOutputStream();
          DataOutputStream out = new DataOutputStream(bytes);
          out.writeByte(cell.kind.ordinal());
          cell.write(out);
          out.flush();
          encoded.put(new CellName(namespaceKey, tag.getKey()), bytes.toByteArray());
        }
      }
      return encoded;
    }

    /**
     * Binds cells as runners-core's in-memory binder does (set, map and multimap in insertion
     * order), remembering each cell's coders.
     */
    private final class CellBinder implements StateTag.StateBinder {
      private final InMemoryStateInternals.InMemoryStateBinder inMemory;
      StateCell bound;

      CellBinder(StateContext<?> context) {
        this.inMemory = new InMemoryStateInternals.InMemoryStateBinder(context);
      }

      @Override
      public <T> ValueState<T> bindValue(StateTag<ValueState<T>> spec, Coder<T> coder) {
        ValueState<T> state = inMemory.bindValue(spec, coder);
        bound = StateCell.value(state, coder);
        return state;
      }

      @Override
      public <T> BagState<T> bindBag(StateTag<BagState<T>> spec, Coder<T> elemCoder) {
        BagState<T> state = inMemory.bindBag(spec, elemCoder);
        bound = StateCell.bag(state, elemCoder);
        return state;
      }

      @Override
      public <T> SetState<T> bindSet(StateTag<SetState<T>> spec, Coder<T> elemCoder) {
        SetState<T> state = new InsertionOrderedStates.OrderedSet<>();
        bound = StateCell.set(state, elemCoder);
        return state;
      }

      @Override
      public <K, V> MapState<K, V> bindMap(
          StateTag<MapState<K, V>> spec, Coder<K> mapKeyCoder, Coder<V> mapValueCoder) {
        MapState<K, V> state = new InsertionOrderedStates.OrderedMap<>();
        bound = StateCell.map(state, mapKeyCoder, mapValueCoder);
        return state;
      }

      @Override
      public <K, V> MultimapState<K, V> bindMultimap(
          StateTag<MultimapState<K, V>> spec, Coder<K> keyCoder, Coder<V> valueCoder) {
        MultimapState<K, V> state = new InsertionOrderedStates.OrderedMultimap<>(keyCoder);
        bound = StateCell.multimap(state, keyCoder, valueCoder);
        return state;
      }

      @Override
      public <T> OrderedListState<T> bindOrderedList(
          StateTag<OrderedListState<T>> spec, Coder<T> elemCoder) {
        OrderedListState<T> state = inMemory.bindOrderedList(spec, elemCoder);
        bound = StateCell.orderedList(state, elemCoder);
        return state;
      }

      @Override
      public <InputT, AccumT, OutputT> CombiningState<InputT, AccumT, OutputT> bindCombiningValue(
          StateTag<CombiningState<InputT, AccumT, OutputT>> spec,
          Coder<AccumT> accumCoder,
          CombineFn<InputT, AccumT, OutputT> combineFn) {
        CombiningState<InputT, AccumT, OutputT> state =
            inMemory.bindCombiningValue(spec, accumCoder, combineFn);
        bound = StateCell.combining(state, accumCoder);
        return state;
      }

      @Override
      public <InputT, AccumT, OutputT>
          CombiningState<InputT, AccumT, OutputT> bindCombiningValueWithContext(
              StateTag<CombiningState<InputT, AccumT, OutputT>> spec,
              Coder<AccumT> accumCoder,
              CombineFnWithContext<InputT, AccumT, OutputT> combineFn) {
        CombiningState<InputT, AccumT, OutputT> state =
            inMemory.bindCombiningValueWithContext(spec, accumCoder, combineFn);
        bound = StateCell.combining(state, accumCoder);
        return state;
      }

      @Override
      public WatermarkHoldState bindWatermark(
          StateTag<WatermarkHoldState> spec, TimestampCombiner timestampCombiner) {
        WatermarkHoldState state =
            new TrackedHold(inMemory.bindWatermark(spec, timestampCombiner));
        bound = StateCell.watermarkHold(state);
        return state;
      }
    }
  }

  /**
   * A hold that tells the index about every change of its instant (an add that leaves it where it
   * was, as ReduceFnRunner's for every element of a window, costs no index update).
   */
  private final class TrackedHold implements WatermarkHoldState {
    private final WatermarkHoldState delegate;
    /** Where the index has this hold, or null. */
    private Long indexedMillis;

    TrackedHold(WatermarkHoldState delegate) {
      this.delegate = delegate;
    }

    @Override
    public void add(Instant value) {
      delegate.add(value);
      long millis = delegate.read().getMillis();
      if (indexedMillis == null || indexedMillis != millis) {
        moveHold(indexedMillis, millis);
        indexedMillis = millis;
      }
    }

    @Override
    public void clear() {
      delegate.clear();
      moveHold(indexedMillis, null);
      indexedMillis = null;
    }

    @Override
    public Instant read() {
      return delegate.read();
    }

    @Override
    public ReadableState<Boolean> isEmpty() {
      return delegate.isEmpty();
    }

    @Override
    public TimestampCombiner getTimestampCombiner() {
      return delegate.getTimestampCombiner();
    }

    @Override
    public WatermarkHoldState readLater() {
      return this;
    }
  }
}
