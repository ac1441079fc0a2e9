package dev.streamscope.simulator;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.net.URLConnection;
import java.net.URLStreamHandler;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.io.FileSystem;
import org.apache.beam.sdk.io.FileSystemRegistrar;
import org.apache.beam.sdk.io.LocalFileSystemRegistrar;
import org.apache.beam.sdk.io.LocalResourceIds;
import org.apache.beam.sdk.io.fs.CreateOptions;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MatchResult.Metadata;
import org.apache.beam.sdk.io.fs.MatchResult.Status;
import org.apache.beam.sdk.io.fs.MoveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.util.SerializableUtils;
import org.apache.beam.runners.core.construction.SerializablePipelineOptions;

/**
 * Beam's {@code file} scheme during a simulation: the pipeline's own files (what TextIO reads and
 * WriteFiles writes) go through a {@link LocalFilesOverlay} of the simulated run under way, so a
 * run writes nothing to the disk and each run's outputs are its own, to be compared with the
 * reference run's. Semantics follow Beam's local file system (globs, parent directories made on
 * create, missing files ignored on delete, move options left to {@code FileSystems}).
 *
 * <p>Beam keeps one file system per scheme, found by {@code ServiceLoader} when options are set;
 * {@link #install} sets them again with a class loader that offers this one instead of Beam's
 * local one, and {@link Installation#close} sets Beam's back.
 */
final class OverlayFileSystem extends FileSystem<ResourceId> {
  private static final OverlayFileSystem INSTANCE = new OverlayFileSystem();
  /** A wildcard and everything after it (as Beam's local file system splits a glob). */
  private static final Pattern GLOB_PREFIX = Pattern.compile("(?<PREFIX>[^\\[*?]*)[\\[*?].*");

  private LocalFilesOverlay overlay;

  private OverlayFileSystem() {}

  /** Serves Beam's {@code file} scheme from this file system until the installation is closed. */
  static Installation install(PipelineOptions options) {
    registerFileSystems(options, new OverlayRegistrars(Thread.currentThread().getContextClassLoader()));
    return () -> registerFileSystems(options, Thread.currentThread().getContextClassLoader());
  }

  /** An installed overlay file system; closing it gives Beam its local file system back. */
  interface Installation extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * Runs {@code run} with {@code overlay} as the local file system, where this file system is
   * installed (else the files stay Beam's, on the disk, and {@code overlay} stays empty).
   */
  static <T> T using(LocalFilesOverlay overlay, Supplier<T> run) {
    INSTANCE.overlay = overlay;
    try {
      return run.get();
    } finally {
      INSTANCE.overlay = null;
    }
  }

  /**
   * Sets Beam's file systems from {@code options}, found through {@code loader}. Beam sets them
   * again only for options it has not seen (by id), so a copy with a new id is used.
   */
  private static void registerFileSystems(PipelineOptions options, ClassLoader loader) {
    PipelineOptions copy = SerializableUtils.clone(new SerializablePipelineOptions(options)).get();
    copy.setOptionsId(PipelineOptionsFactory.create().getOptionsId());
    Thread thread = Thread.currentThread();
    ClassLoader original = thread.getContextClassLoader();
    thread.setContextClassLoader(loader);
    try {
      org.apache.beam.sdk.io.FileSystems.setDefaultPipelineOptions(copy);
    } finally {
      thread.setContextClassLoader(original);
    }
  }

  private LocalFilesOverlay overlay() {
    if (overlay == null) {
      throw new IllegalStateException(
          "Beam's local file system is the simulation's overlay, but no simulated run is under way");
    }
    return overlay;
  }

  private static Path pathOf(ResourceId resourceId) {
    return Paths.get(resourceId.toString()).toAbsolutePath().normalize();
  }

  @Override
  protected List<MatchResult> match(List<String> specs) throws IOException {
    List<MatchResult> results = new ArrayList<>(specs.size());
    for (String spec : specs) {
      results.add(matchOne(spec));
    }
    return results;
  }

  private MatchResult matchOne(String spec) throws IOException {
    if (spec.toLowerCase().startsWith("file:")) {
      spec = spec.substring("file:".length());
    }
    String absolute = Paths.get(".").toAbsolutePath().normalize().resolve(spec).toString();
    Path path = Paths.get(absolute).normalize();
    LocalFilesOverlay files = overlay();
    if (files.isFile(path)) {
      return MatchResult.create(Status.OK, List.of(metadata(path, false)));
    }
    if (files.isDirectory(path)) {
      return MatchResult.create(Status.OK, List.of(metadata(path, true)));
    }
    Matcher glob = GLOB_PREFIX.matcher(absolute);
    String prefix = glob.matches() ? glob.group("PREFIX") : absolute;
    Path parent = prefix.endsWith("/") ? Paths.get(prefix) : Paths.get(prefix).getParent();
    List<Metadata> matched = new ArrayList<>();
    if (parent != null && files.isDirectory(parent)) {
      PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + absolute);
      for (Path file : files.filesUnder(parent)) {
        if (matcher.matches(file)) {
          matched.add(metadata(file, false));
        }
      }
    }
    return matched.isEmpty()
        ? MatchResult.create(Status.NOT_FOUND, new FileNotFoundException("No files found for spec: " + spec))
        : MatchResult.create(Status.OK, matched);
  }

  private Metadata metadata(Path path, boolean isDirectory) throws IOException {
    return Metadata.builder()
        .setResourceId(LocalResourceIds.of(path, isDirectory))
        .setIsReadSeekEfficient(true)
        .setSizeBytes(isDirectory ? 0 : overlay().sizeBytes(path))
        .setLastModifiedMillis(isDirectory ? 0 : overlay().lastModifiedMillis(path))
        .build();
  }

  @Override
  protected WritableByteChannel create(ResourceId resourceId, CreateOptions createOptions) {
    Path path = pathOf(resourceId);
    LocalFilesOverlay files = overlay();
    return Channels.newChannel(
        new ByteArrayOutputStream() {
          @Override
          public void close() {
            files.write(path, toByteArray());
          }
        });
  }

  @Override
  protected ReadableByteChannel open(ResourceId resourceId) throws IOException {
    Path path = pathOf(resourceId);
    LocalFilesOverlay files = overlay();
    byte[] bytes = files.writtenBytes(path);
    if (bytes != null) {
      return new BytesChannel(bytes);
    }
    if (!files.isFile(path)) {
      throw new FileNotFoundException(path + " (no such file in this simulated run)");
    }
    return FileChannel.open(path);
  }

  @Override
  protected void copy(List<ResourceId> sources, List<ResourceId> destinations) throws IOException {
    for (int i = 0; i < sources.size(); i++) {
      overlay().write(pathOf(destinations.get(i)), overlay().read(pathOf(sources.get(i))));
    }
  }

  @Override
  protected void rename(List<ResourceId> sources, List<ResourceId> destinations, MoveOptions... moveOptions)
      throws IOException {
    if (moveOptions.length > 0) {
      // As Beam's local file system: FileSystems then filters with match calls and renames.
      throw new UnsupportedOperationException("Support for move options is not yet implemented.");
    }
    for (int i = 0; i < sources.size(); i++) {
      Path source = pathOf(sources.get(i));
      overlay().write(pathOf(destinations.get(i)), overlay().read(source));
      overlay().delete(source);
    }
  }

  @Override
  protected void delete(Collection<ResourceId> resourceIds) {
    for (ResourceId resourceId : resourceIds) {
      overlay().delete(pathOf(resourceId));
    }
  }

  @Override
  protected ResourceId matchNewResource(String singleResourceSpec, boolean isDirectory) {
    if (isDirectory) {
      if (!singleResourceSpec.endsWith("/")) {
        singleResourceSpec += "/";
      }
    } else if (singleResourceSpec.endsWith("/")) {
      throw new IllegalArgumentException(
          "Expected file path but received directory path [" + singleResourceSpec + "].");
    }
    return LocalResourceIds.of(Paths.get(singleResourceSpec), isDirectory);
  }

  @Override
  protected String getScheme() {
    return "file";
  }

  /** Offered to Beam's {@code ServiceLoader} in place of its local file system's registrar. */
  public static final class Registrar implements FileSystemRegistrar {
    @Override
    public Iterable<FileSystem<?>> fromOptions(PipelineOptions options) {
      return List.of(INSTANCE);
    }
  }

  /**
   * Beam's class loader, except that the file-system registrars it lists are this file system's
   * instead of Beam's local one's.
   */
  private static final class OverlayRegistrars extends ClassLoader {
    private static final String SERVICES = "META-INF/services/" + FileSystemRegistrar.class.getName();

    OverlayRegistrars(ClassLoader parent) {
      super(parent);
    }

    @Override
    public Enumeration<URL> getResources(String name) throws IOException {
      if (!name.equals(SERVICES)) {
        return super.getResources(name);
      }
      StringBuilder registrars = new StringBuilder();
      for (URL url : Collections.list(super.getResources(name))) {
        try (InputStream in = url.openStream()) {
          for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
            String registrar = line.replaceAll("#.*", "").trim();
            if (!registrar.isEmpty() && !registrar.equals(LocalFileSystemRegistrar.class.getName())) {
              registrars.append(registrar).append('\n');
            }
          }
        }
      }
      registrars.append(Registrar.class.getName()).append('\n');
      byte[] listing = registrars.toString().getBytes(StandardCharsets.UTF_8);
      URLStreamHandler inMemory =
          new URLStreamHandler() {
            @Override
            protected URLConnection openConnection(URL url) {
              return new URLConnection(url) {
                @Override
                public void connect() {}

                @Override
                public InputStream getInputStream() {
                  return new ByteArrayInputStream(listing);
                }
              };
            }
          };
      return Collections.enumeration(List.of(new URL(null, "streamscope-overlay:/" + SERVICES, inMemory)));
    }
  }

  /** A read-only, seekable channel over a file this run wrote (splittable reads seek). */
  private static final class BytesChannel implements SeekableByteChannel {
    private final byte[] bytes;
    private int position;
    private boolean open = true;

    BytesChannel(byte[] bytes) {
      this.bytes = bytes;
    }

    @Override
    public int read(ByteBuffer target) {
      if (position >= bytes.length) {
        return -1;
      }
      int count = Math.min(target.remaining(), bytes.length - position);
      target.put(bytes, position, count);
      position += count;
      return count;
    }

    @Override
    public int write(ByteBuffer source) {
      throw new NonWritableChannelException();
    }

    @Override
    public long position() {
      return position;
    }

    @Override
    public SeekableByteChannel position(long newPosition) {
      position = (int) Math.min(newPosition, bytes.length);
      return this;
    }

    @Override
    public long size() {
      return bytes.length;
    }

    @Override
    public SeekableByteChannel truncate(long size) {
      throw new NonWritableChannelException();
    }

    @Override
    public boolean isOpen() {
      return open;
    }

    @Override
    public void close() {
      open = false;
    }
  }
}
