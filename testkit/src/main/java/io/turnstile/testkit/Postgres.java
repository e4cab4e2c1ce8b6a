package io.turnstile.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A PostgreSQL server of its own (Debian's {@code postgresql} package, binaries under {@code
 * /usr/lib/postgresql/<version>/bin}), started by the suite rather than as a system service: a
 * fresh cluster made with {@code initdb}, listening on a free port on 127.0.0.1 only, with a
 * database {@link #DATABASE} owned by a user with a random password. Local (socket) connections
 * trust the {@code postgres} superuser; TCP connections need the password (SCRAM), so a store that
 * connects at all has used the configured credentials.
 *
 * <p>{@code initdb} and {@code postgres} refuse to run as root. As root the cluster's directory is
 * therefore made under the system temporary directory and given to the {@code postgres} OS user
 * (the caller's temporary directories are root-only, so that user could not reach a cluster inside
 * them), and the server runs through {@code setpriv}, which execs it as that user: the process this
 * fixture holds is the postmaster itself, not a wrapper that may or may not pass signals on.
 *
 * <p>Durability is traded for speed ({@code fsync=off}): the data lives only as long as the test.
 * {@link #stop()} and {@link #start()} take the server down and up on the same port and data, for
 * outage tests; {@link #close()} stops it and removes the cluster's directory.
 */
public final class Postgres implements AutoCloseable {
  public static final String DATABASE = "turnstile";
  public static final String USER = "turnstile";
  private static final String SERVICE_USER = "postgres";

  private final Path bin;
  private final Path cluster;
  private final Path logs;
  private final boolean asServiceUser;
  /**
   * Its port: a free one picked when it is made, or another when a different program took that one
   * before the first start; restarts keep it.
   */
  public int port;
  private final String password;
  private Process process;
  private int starts;
  /** {@code synchronous_commit}: off (fast) unless a synchronous standby is to keep every commit. */
  private String synchronousCommit = "off";
  private Path log;

  private Postgres(Path bin, Path cluster, Path logs, boolean asServiceUser, int port, String password) {
    this.bin = bin;
    this.cluster = cluster;
    this.logs = logs;
    this.asServiceUser = asServiceUser;
    this.port = port;
    this.password = password;
  }

  /**
   * Makes a new cluster with the {@link #DATABASE} database and its user, and starts it.
   *
   * @param dir where the server's logs go ({@code postgres.log}, then one file per restart);
   *     created when missing
   */
  public static Postgres start(Path dir) throws IOException {
    Path bin = binaries();
    Files.createDirectories(dir);
    boolean root = "root".equals(System.getProperty("user.name"));
    Path cluster = Files.createTempDirectory("turnstile-postgres");
    if (root) {
      Proc.Result chown = Proc.run(Map.of(), "chown", SERVICE_USER + ":" + SERVICE_USER, cluster.toString());
      if (chown.exit() != 0) {
        throw new AssertionError("cannot give " + cluster + " to the " + SERVICE_USER + " user "
            + "(the postgresql package creates it): " + chown.all());
      }
    }
    byte[] secret = new byte[16];
    new SecureRandom().nextBytes(secret);
    Postgres pg = new Postgres(bin, cluster, dir, root, Proc.freePort(),
        HexFormat.of().formatHex(secret));
    pg.initdb();
    Proc.onFreePorts("postgres in " + cluster, attempt -> {
      if (attempt > 0) {
        pg.port = Proc.freePort();
      }
      pg.start();
    }, () -> pg.log);
    pg.createDatabase();
    return pg;
  }

  /** The newest PostgreSQL under {@code /usr/lib/postgresql}, or a failure naming the package. */
  private static Path binaries() throws IOException {
    Path root = Path.of("/usr/lib/postgresql");
    if (Files.isDirectory(root)) {
      try (Stream<Path> versions = Files.list(root)) {
        var newest = versions
            .filter(v -> v.getFileName().toString().matches("\\d+") && Files.isExecutable(v.resolve("bin/initdb")))
            .max(Comparator.comparingInt(v -> Integer.parseInt(v.getFileName().toString())));
        if (newest.isPresent()) {
          return newest.get().resolve("bin");
        }
      }
    }
    throw new AssertionError("PostgreSQL is not installed (no /usr/lib/postgresql/<version>/bin/initdb); "
        + "e2e/run.sh installs the suite's Debian packages");
  }

  /** {@code command} as the {@code postgres} OS user when running as root, else as is. */
  private List<String> asOwner(String... command) {
    List<String> c = new ArrayList<>();
    if (asServiceUser) {
      c.addAll(List.of(Proc.require("setpriv"), "--reuid=" + SERVICE_USER, "--regid=" + SERVICE_USER, "--init-groups"));
    }
    c.add(bin.resolve(command[0]).toString());
    c.addAll(List.of(command).subList(1, command.length));
    return c;
  }

  private Path data() {
    return cluster.resolve("data");
  }

  private void initdb() {
    Proc.Result r = Proc.run(asOwner("initdb", "-D", data().toString(), "-U", SERVICE_USER, "-E", "UTF8",
        "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync"), Map.of(), null, Duration.ofMinutes(2));
    if (r.exit() != 0) {
      throw new AssertionError("initdb failed: " + r.all());
    }
  }

  /** Starts the server (again) on the same port and data; returns when it accepts connections. */
  public Postgres start() {
    if (process != null && process.isAlive()) {
      return this;
    }
    // The socket goes into the cluster's own directory, never the system's /var/run/postgresql.
    process = Proc.start(asOwner("postgres", "-D", data().toString(), "-p", Integer.toString(port),
        "-k", cluster.toString(), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
        "-c", "synchronous_commit=" + synchronousCommit, "-c", "full_page_writes=off"), Map.of(), nextLog());
    Proc.await("postgres on " + port, Duration.ofSeconds(60), () -> {
      if (!process.isAlive()) {
        throw new AssertionError("postgres exited" + (Proc.addressInUse(log)
            ? " (port " + port + " is taken by another program)" : "") + "; see " + log);
      }
      // Through the socket in the cluster's own directory: only this server answers there, and it
      // opens that socket only after it holds its TCP port (it exits when it cannot).
      return Proc.run(List.of(bin.resolve("pg_isready").toString(), "-q", "-h", cluster.toString(), "-p",
          Integer.toString(port)), Map.of(), null, Duration.ofSeconds(5)).exit() == 0;
    });
    return this;
  }

  /** Each start logs to a file of its own ({@code postgres.log}, {@code postgres-2.log}, ...). */
  private Path nextLog() {
    starts++;
    log = starts == 1 ? logs.resolve("postgres.log") : logs.resolve("postgres-" + starts + ".log");
    return log;
  }

  private void createDatabase() {
    Proc.Result r = Proc.run(List.of(bin.resolve("psql").toString(), "-h", cluster.toString(), "-p",
        Integer.toString(port), "-U", SERVICE_USER, "-d", "postgres", "-v", "ON_ERROR_STOP=1",
        "-c", "CREATE ROLE " + USER + " LOGIN PASSWORD '" + password + "'",
        "-c", "CREATE DATABASE " + DATABASE + " OWNER " + USER), Map.of(), null, Duration.ofMinutes(1));
    if (r.exit() != 0) {
      throw new AssertionError("cannot create the " + DATABASE + " database: " + r.all());
    }
  }

  /**
   * Stops the server with a fast shutdown (open sessions are ended, as in an outage) and waits for
   * it to exit. {@link #start()} brings it back.
   */
  public void stop() {
    if (process == null || !process.isAlive()) {
      return;
    }
    // SIGINT is PostgreSQL's fast shutdown; SIGTERM (Process.destroy) would wait for every client,
    // and a Turnstile's connection pool never leaves on its own.
    Proc.run(asOwner("pg_ctl", "stop", "-D", data().toString(), "-m", "fast", "-w"), Map.of(), null,
        Duration.ofSeconds(30));
    Proc.stop(process);
    process = null;
  }

  /**
   * Makes a streaming-replication standby of this server with {@code pg_basebackup}, on a free
   * port of its own, and makes it synchronous: from then on this server acknowledges a commit only
   * once the standby has it ({@code synchronous_standby_names = '*'}, {@code synchronous_commit =
   * on}), so a failover loses no acknowledged write. Returns once the standby streams in sync.
   *
   * @param dir where the standby's logs go
   */
  public Postgres synchronousStandby(Path dir) throws IOException {
    Files.createDirectories(dir);
    Path standbyCluster = Files.createTempDirectory("turnstile-postgres-standby");
    if (asServiceUser) {
      Proc.Result chown = Proc.run(Map.of(), "chown", SERVICE_USER + ":" + SERVICE_USER, standbyCluster.toString());
      if (chown.exit() != 0) {
        throw new AssertionError("cannot give " + standbyCluster + " to " + SERVICE_USER + ": " + chown.all());
      }
    }
    Postgres standby = new Postgres(bin, standbyCluster, dir, asServiceUser, Proc.freePort(), password);
    // -R writes standby.signal and primary_conninfo: the standby follows this server over its socket.
    Proc.Result backup = Proc.run(asOwner("pg_basebackup", "-h", cluster.toString(), "-p", Integer.toString(port),
        "-U", SERVICE_USER, "-D", standby.data().toString(), "-X", "stream", "-R", "--no-sync"), Map.of(), null,
        Duration.ofMinutes(2));
    if (backup.exit() != 0) {
      throw new AssertionError("pg_basebackup failed: " + backup.all());
    }
    Proc.onFreePorts("postgres standby in " + standbyCluster, attempt -> {
      if (attempt > 0) {
        standby.port = Proc.freePort();
      }
      standby.start();
    }, () -> standby.log);
    psql("ALTER SYSTEM SET synchronous_standby_names = '*'");
    synchronousCommit = "on";
    stop();
    start();
    Proc.await("the standby streaming in sync", Duration.ofSeconds(60), () -> psqlValue(
        "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'").equals("1"));
    return standby;
  }

  /** Promotes this standby to a primary ({@code pg_ctl promote}); returns once it takes writes. */
  public void promote() {
    Proc.Result r = Proc.run(asOwner("pg_ctl", "promote", "-D", data().toString(), "-w"), Map.of(), null,
        Duration.ofSeconds(60));
    if (r.exit() != 0) {
      throw new AssertionError("pg_ctl promote failed: " + r.all());
    }
  }

  private void psql(String sql) {
    Proc.Result r = Proc.run(List.of(bin.resolve("psql").toString(), "-h", cluster.toString(), "-p",
        Integer.toString(port), "-U", SERVICE_USER, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql), Map.of(),
        null, Duration.ofMinutes(1));
    if (r.exit() != 0) {
      throw new AssertionError(sql + " failed: " + r.all());
    }
  }

  private String psqlValue(String sql) {
    return Proc.run(List.of(bin.resolve("psql").toString(), "-h", cluster.toString(), "-p", Integer.toString(port),
        "-U", SERVICE_USER, "-d", "postgres", "-tAc", sql), Map.of(), null, Duration.ofSeconds(30)).out().trim();
  }

  /** The JDBC URL of the {@link #DATABASE} database, for {@code store.url}. */
  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE;
  }

  public String user() {
    return USER;
  }

  public String password() {
    return password;
  }

  /** The server's version, e.g. {@code 15.18}, from {@code postgres --version}. */
  public String version() {
    String out = Proc.run(List.of(bin.resolve("postgres").toString(), "--version"), Map.of(), null,
        Duration.ofSeconds(30)).out().trim();
    // "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
    return out.replaceFirst("^.*\\(PostgreSQL\\) (\\S+).*$", "$1");
  }

  /** The log of the latest start. */
  public Path log() {
    return log;
  }

  /** Stops the server and removes its cluster; the log stays. */
  @Override
  public void close() {
    stop();
    try (Stream<Path> files = Files.walk(cluster)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // a leftover temporary directory is not worth failing the suite for
    }
  }
}
