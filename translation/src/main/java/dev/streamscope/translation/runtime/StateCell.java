package dev.streamscope.translation.runtime;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.CombiningState;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.MultimapState;
import org.apache.beam.sdk.state.OrderedListState;
import org.apache.beam.sdk.state.SetState;
import org.apache.beam.sdk.state.State;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.state.WatermarkHoldState;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Instant;

/**
 * One bound state cell of one key (a runners-core {@link State}) with the coders it was bound
 * with, so it can write its contents into a snapshot and read them back into an empty cell. The
 * contents are written in the cell's iteration order and read back by adding them in that order,
 * which rebuilds the same cell. A cell is written into a block of its own ({@link KeyedStates}
 * checks it is read to its end, naming the cell), its values in their coders' nested encodings
 * ({@link SnapshotIo#writeNested}).
 */
abstract class StateCell {
  /** The kinds of cell; a snapshot names each cell's kind, checked when it is read back. */
  enum Kind {
    VALUE,
    BAG,
    ORDERED_LIST,
    COMBINING,
    MAP,
    SET,
    MULTIMAP,
    WATERMARK_HOLD
  }

  final Kind kind;
  /** The cell as runners-core uses it. */
  final State bound;

  StateCell(Kind kind, State bound) {
    this.kind = kind;
    this.bound = bound;
  }

  /** True if there is nothing to write: the cell is as a freshly bound one. */
  abstract boolean isEmpty();

  /** Writes the contents into the cell's block. */
  abstract void write(DataOutputStream block) throws IOException;

  /** Reads contents written by {@link #write} into this cell, which must be empty. */
  abstract void read(DataInputStream block) throws IOException;

  static <T> StateCell value(ValueState<T> state, Coder<T> coder) {
    return new StateCell(Kind.VALUE, state) {
      @Override
      boolean isEmpty() {
        return state.read() == null; // Writing null is clearing: both read as null.
      }

      @Override
      void write(DataOutputStream out) throws IOException {
        SnapshotIo.writeNested(out, coder, state.read());
      }

      @Override
      void read(DataInputStream in) throws IOException {
        state.write(SnapshotIo.readNested(in, coder));
      }
    };
  }

  static <T> StateCell bag(BagState<T> state, Coder<T> coder) {
    return new StateCell(Kind.BAG, state) {
      @Override
      boolean isEmpty() {
        return state.isEmpty().read();
      }

      @Override
      void write(DataOutputStream out) throws IOException {
        writeAll(out, coder, state.read());
      }

      @Override
      void read(DataInputStream in) throws IOException {
        for (T element : readAll(in, coder)) {
          state.add(element);
        }
      }
    };
  }

  static <T> StateCell set(SetState<T> state, Coder<T> coder) {
    return new StateCell(Kind.SET, state) {
      @Override
      boolean isEmpty() {
        return state.isEmpty().read();
      }

      @Override
      void write(DataOutputStream out) throws IOException {
        writeAll(out, coder, state.read());
      }

      @Override
      void read(DataInputStream in) throws IOException {
        for (T element : readAll(in, coder)) {
          state.add(element);
        }
      }
    };
  }

  static <T> StateCell orderedList(OrderedListState<T> state, Coder<T> coder) {
    return new StateCell(Kind.ORDERED_LIST, state) {
      @Override
      boolean isEmpty() {
        return state.isEmpty().read();
      }

      @Override
      void write(DataOutputStream out) throws IOException {
        List<TimestampedValue<T>> elements = new ArrayList<>();
        state.read().forEach(elements::add);
        out.writeInt(elements.size());
        for (TimestampedValue<T> element : elements) {
          out.writeLong(element.getTimestamp().getMillis());
          SnapshotIo.writeNested(out, coder, element.getValue());
        }
      }

      @Override
      void read(DataInputStream in) throws IOException {
        int count = in.readInt();
        for (int i = 0; i < count; i++) {
          Instant timestamp = Instant.ofEpochMilli(in.readLong());
          state.add(TimestampedValue.of(SnapshotIo.readNested(in, coder), timestamp));
        }
      }
    };
  }

  /**
   * The accumulator is written as is and read back with {@code addAccum}, which merges it into a
   * fresh accumulator, as runners-core copies a combining cell ({@code
   * InMemoryCombiningState.copy}).
   */
  static <AccumT> StateCell combining(CombiningState<?, AccumT, ?> state, Coder<AccumT> coder) {
    return new StateCell(Kind.COMBINING, state) {
      @Override
      boolean isEmpty() {
        return state.isEmpty().read();
      }

      @Override
      void write(DataOutputStream out) throws IOException {
        SnapshotIo.writeNested(out, coder, state.getAccum());
      }

      @Override
      void read(DataInputStream in) throws IOException {
        state.addAccum(SnapshotIo.readNested(in, coder));
      }
    };
  }

  static <K, V> StateCell map(MapState<K, V> state, Coder<K> keyCoder, Coder<V> valueCoder) {
    return new StateCell(Kind.MAP, state) {
      @Override
      boolean isEmpty() {
        return state.isEmpty().read();
      }

      @Override
      void write(DataOutputStream out) throws IOException {
        writeEntries(out, keyCoder, valueCoder, state.entries().read());
      }

      @Override
      void read(DataInputStream in) throws IOException {
        int count = in.readInt();
        for (int i = 0; i < count; i++) {
          state.put(SnapshotIo.readNested(in, keyCoder), SnapshotIo.readNested(in, valueCoder));
        }
      }
    };
  }

  static <K, V> StateCell multimap(
      MultimapState<K, V> state, Coder<K> keyCoder, Coder<V> valueCoder) {
    return new StateCell(Kind.MULTIMAP, state) {
      @Override
      boolean isEmpty() {
        return state.isEmpty().read();
      }

      @Override
      void write(DataOutputStream out) throws IOException {
        writeEntries(out, keyCoder, valueCoder, state.entries().read());
      }

      @Override
      void read(DataInputStream in) throws IOException {
        int count = in.readInt();
        for (int i = 0; i < count; i++) {
          state.put(SnapshotIo.readNested(in, keyCoder), SnapshotIo.readNested(in, valueCoder));
        }
      }
    };
  }

  /** A hold reads back as one {@code add} of its combined instant, which an empty hold keeps. */
  static StateCell watermarkHold(WatermarkHoldState state) {
    return new StateCell(Kind.WATERMARK_HOLD, state) {
      @Override
      boolean isEmpty() {
        return state.read() == null;
      }

      @Override
      void write(DataOutputStream out) throws IOException {
        out.writeLong(state.read().getMillis());
      }

      @Override
      void read(DataInputStream in) throws IOException {
        state.add(Instant.ofEpochMilli(in.readLong()));
      }
    };
  }

  private static <T> void writeAll(DataOutputStream out, Coder<T> coder, Iterable<T> elements)
      throws IOException {
    List<T> list = new ArrayList<>();
    elements.forEach(list::add);
    out.writeInt(list.size());
    for (T element : list) {
      SnapshotIo.writeNested(out, coder, element);
    }
  }

  private static <T> List<T> readAll(DataInputStream in, Coder<T> coder) throws IOException {
    int count = in.readInt();
    List<T> elements = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      elements.add(SnapshotIo.readNested(in, coder));
    }
    return elements;
  }

  private static <K, V> void writeEntries(
      DataOutputStream out,
      Coder<K> keyCoder,
      Coder<V> valueCoder,
      Iterable<Map.Entry<K, V>> entries)
      throws IOException {
    List<Map.Entry<K, V>> list = new ArrayList<>();
    entries.forEach(list::add);
    out.writeInt(list.size());
    for (Map.Entry<K, V> entry : list) {
      SnapshotIo.writeNested(out, keyCoder, entry.getKey());
      SnapshotIo.writeNested(out, valueCoder, entry.getValue());
    }
  }
}
