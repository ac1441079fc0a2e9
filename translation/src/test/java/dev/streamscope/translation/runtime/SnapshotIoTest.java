package dev.streamscope.translation.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.BigEndianLongCoder;
import org.apache.beam.sdk.coders.ByteCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.junit.jupiter.api.Test;

class SnapshotIoTest {
  private static final List<Long> VALUES = List.of(0L, 1L, 300L, -5L, Long.MAX_VALUE);

  /** A block of nested values, then a value after it that a misreading block must not shift. */
  private static byte[] blockThenString() throws Exception {
    return SnapshotIo.toBytes(
        out -> {
          SnapshotIo.writeBlock(
              out,
              block -> {
                block.writeInt(VALUES.size());
                for (long value : VALUES) {
                  SnapshotIo.writeNested(block, VarLongCoder.of(), value);
                }
              });
          SnapshotIo.writeValue(out, StringUtf8Coder.of(), "after");
        });
  }

  @Test
  void nestedValuesInABlockReadBackAndWhatFollowsIsIntact() throws Exception {
    DataInputStream in = SnapshotIo.reader(blockThenString());
    List<Long> read = new ArrayList<>();
    SnapshotIo.readBlock(
        in,
        "the test block",
        block -> {
          for (int i = block.readInt(); i > 0; i--) {
            read.add(SnapshotIo.readNested(block, VarLongCoder.of()));
          }
        });
    assertEquals(VALUES, read);
    assertEquals("after", SnapshotIo.readValue(in, StringUtf8Coder.of()));
    SnapshotIo.checkFullyRead(in, "the test snapshot");
  }

  /** Reads {@link #blockThenString}'s block as values of {@code coder}; it must fail. */
  private static IllegalStateException misreadBlockWith(Coder<?> coder) throws Exception {
    DataInputStream in = SnapshotIo.reader(blockThenString());
    return assertThrows(
        IllegalStateException.class,
        () ->
            SnapshotIo.readBlock(
                in,
                "the test block",
                block -> {
                  for (int i = block.readInt(); i > 0; i--) {
                    SnapshotIo.readNested(block, coder);
                  }
                }));
  }

  @Test
  void aCoderThatReadsPastItsBlockFailsNamingIt() throws Exception {
    IllegalStateException e = misreadBlockWith(BigEndianLongCoder.of());
    assertTrue(e.getMessage().startsWith("the test block: cannot read its"), e.getMessage());
  }

  @Test
  void aCoderThatReadsLessThanItsBlockFailsNamingIt() throws Exception {
    IllegalStateException e = misreadBlockWith(ByteCoder.of());
    assertTrue(e.getMessage().startsWith("the test block: "), e.getMessage());
    assertTrue(e.getMessage().contains("bytes of its snapshot were not read"), e.getMessage());
  }
}
