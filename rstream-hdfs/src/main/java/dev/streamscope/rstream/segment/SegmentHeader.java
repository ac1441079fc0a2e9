package dev.streamscope.rstream.segment;

/** The decoded header of a segment file (see the package documentation). */
public record SegmentHeader(int formatVersion, long segmentNumber, long firstSeq, String streamId, int lengthBytes) {}
