/**
 * The on-disk format of persisted rStreams (format version 1), and the code that writes, scans
 * and reads it through a Hadoop {@code FileSystem}.
 *
 * <h2>Layout</h2>
 *
 * <pre>
 * &lt;root&gt;/&lt;jobId&gt;/&lt;encoded stream id&gt;/&lt;segment number, 20 digits&gt;.rseg
 * </pre>
 *
 * The stream id is kept readable: every character outside {@code [A-Za-z0-9._-]} (and a leading
 * {@code .}) becomes {@code ~XX}, the hex of its UTF-8 bytes ({@link StreamDirs}). Each rStream
 * has one writer, which appends to one segment at a time and rolls to a new segment (number + 1)
 * once the current one reaches its size limit, after a write error, or after a restart. Segment
 * files are never rewritten; a torn tail is truncated at recovery where the file system allows.
 *
 * <p>Next to its segments a stream directory holds their index sidecars ({@code .ridx}, see
 * "Index") and, if the stream's opener said how its payloads are encoded, the file {@code
 * payload-format} ({@link PayloadFormat}), written with the first segment and read only by tools:
 *
 * <pre>
 * payload-format:
 *   0  u32  magic 0x52464d54 ("RFMT")
 *   4  u16  format version (1)
 *   6  u16  length E of the encoding name
 *   8  E    encoding name, UTF-8 (the runner's: see its StreamPayloads)
 *   8+E u32 length D of the parameters
 *  12+E D   parameters (the runner's: a Java-serialized Beam coder)
 *  12+E+D u32 CRC32C of bytes [0, 12+E+D)
 * </pre>
 *
 * <h2>Segment file</h2>
 *
 * All integers are big-endian ({@link java.io.DataOutputStream} order). A header, then records:
 *
 * <pre>
 * header:
 *   0  u32  magic 0x52534547 ("RSEG")
 *   4  u16  format version (1)
 *   6  u16  header length H in bytes, checksum included
 *   8  i64  segment number (also in the file name)
 *  16  i64  first seq: the seq of the first record
 *  24  u16  length L of the stream id
 *  26  L    stream id, UTF-8
 *  26+L u32 CRC32C of bytes [0, 26+L)
 *
 * record (at offset H, then back to back):
 *   0  i64  seq (the first record has the header's first seq, each next one seq + 1)
 *   8  u8   kind: 0 data, 1 watermark, 2 end
 *   9  i32  payload length P (data: the encoded element; watermark: 8, the millis as i64; end: 0)
 *  13  u32  header checksum: CRC32C of bytes [0, 13) of the record
 *  17  P    payload
 *  17+P u32 record checksum: CRC32C of bytes [0, 17+P) of the record
 * </pre>
 *
 * The header checksum protects the length before it is trusted, so a flipped bit in a length
 * cannot pass for a torn tail. When a file ends inside a record (the writer died between two
 * flushes) the rest is a <em>torn tail</em>: ignored, and truncated by recovery. A record whose
 * checksum does not match, or whose seq is not the next one, is <em>corruption</em>: reading fails
 * with a {@link CorruptSegmentException} naming file, offset, expected and actual values; no
 * corrupt byte is ever returned.
 *
 * <h2>Which segment holds a seq</h2>
 *
 * Segment numbers order the segments; first seqs never decrease with the number. Segment
 * {@code i} covers {@code [first(i), min(end(i), first(i + 1)))}: after a write error the writer
 * starts a new segment at the durable seq, so the broken segment may hold unacknowledged records
 * beyond it, which the newer segment supersedes (by determinism they are equal anyway). A stream's
 * durable prefix is the union of the coverages; a hole between coverages is corruption.
 *
 * <h2>Index</h2>
 *
 * Every live segment has an in-memory index: the offset of a record at least every {@link
 * SegmentFormat#INDEX_INTERVAL_BYTES} (64 KiB) bytes, and at every flushed batch ({@link
 * SegmentIndex}). A read of seq S seeks to the last entry at or below S and scans forward from
 * there, verifying each record; it never reads a segment from its start. The writer builds the
 * index of the segment it appends to; once a segment is final — rolled, closed with the stream, or
 * scanned by recovery — the index goes to a sidecar file next to it ({@link SegmentIndexFile}),
 * from which recovery takes it instead of scanning the segment:
 *
 * <pre>
 * &lt;segment number, 20 digits&gt;.ridx:
 *   0  u32  magic 0x52494458 ("RIDX")
 *   4  u16  format version (1)
 *   6  i64  segment number
 *  14  i64  first seq (as in the segment header)
 *  22  i64  end seq: one past the seq of the segment's last record
 *  30  i64  segment length in bytes, header and records
 *  38  i32  entry count N
 *  42  N x  (i64 seq, i64 offset of its record), seqs increasing, offsets at least 64 KiB apart
 *  42+16N u32 CRC32C of bytes [0, 42+16N)
 * </pre>
 *
 * Recovery uses a sidecar only if magic, version, size and checksum are right, its segment
 * number and first seq match the segment header, the segment file has exactly the length it
 * names, and every entry lies inside the segment in seq order. Otherwise (missing, torn, stale,
 * corrupt) the segment is scanned with every record verified, and the sidecar is written anew.
 * An entry that still pointed at the wrong place could not yield a wrong event: a read verifies
 * the seq and checksums of every record it returns. Hence recovery reads only the headers and
 * sidecars of sealed segments and scans just the segment the crashed writer had open (which has
 * no sidecar); corruption inside a sealed segment surfaces when it is read, not at recovery.
 * Garbage collection deletes a sidecar before its segment, so a crash in between leaves a segment
 * that recovery scans rather than an orphan sidecar; it deletes the oldest segment first and
 * stops at a failed delete, so the segments left never have a hole between them.
 */
package dev.streamscope.rstream.segment;
