/**
 * The seam between rStream persistence and the runtime: {@link dev.streamscope.rstream.io.StreamIo}
 * (blocking work, timers, clock). Nothing else in {@code rstream-hdfs} creates threads, sleeps,
 * reads the clock or does I/O except through the Hadoop {@code FileSystem} handed in.
 */
package dev.streamscope.rstream.io;
