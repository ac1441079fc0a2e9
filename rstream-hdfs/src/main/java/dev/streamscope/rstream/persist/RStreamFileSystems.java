package dev.streamscope.rstream.persist;

import java.io.IOException;
import java.net.URI;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumFileSystem;
import org.apache.hadoop.fs.FileSystem;

/**
 * Opens the Hadoop {@code FileSystem} for an rStream root URI, for the runner and tools to hand
 * in. {@code file:} URIs get the <em>raw</em> local file system: the checksummed {@code
 * LocalFileSystem}'s {@code hflush} does nothing, and segments carry their own checksums anyway.
 * Every other scheme ({@code hdfs:}, ...) gets a new, uncached instance that the caller closes.
 */
public final class RStreamFileSystems {
  private RStreamFileSystems() {}

  public static FileSystem forUri(URI root) throws IOException {
    return forUri(root, new Configuration());
  }

  public static FileSystem forUri(URI root, Configuration conf) throws IOException {
    FileSystem fs = FileSystem.newInstance(root, conf);
    if (fs instanceof ChecksumFileSystem checksummed) {
      return checksummed.getRawFileSystem();
    }
    return fs;
  }
}
