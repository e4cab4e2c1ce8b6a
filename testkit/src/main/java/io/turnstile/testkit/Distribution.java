package io.turnstile.testkit;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

/**
 * CNCF distribution (Debian's {@code docker-registry}) on loopback: either with htpasswd Basic auth
 * (the vendor's upstream) or with token auth against Turnstile (the interop check), over a storage
 * directory that can be shared.
 */
public final class Distribution implements AutoCloseable {
  private final Path config;
  private final Path log;
  public final int port;
  private Process process;

  private Distribution(Path config, Path log, int port) {
    this.config = config;
    this.log = log;
    this.port = port;
  }

  public String url() {
    return "http://127.0.0.1:" + port;
  }

  /** A registry with Basic auth for {@code users} (name to password). */
  public static Distribution basic(Path dir, Path storage, Map<String, String> users) throws Exception {
    Files.createDirectories(dir);
    StringBuilder htpasswd = new StringBuilder();
    SecureRandom random = new SecureRandom();
    for (Map.Entry<String, String> u : users.entrySet()) {
      byte[] salt = new byte[16];
      random.nextBytes(salt);
      htpasswd.append(u.getKey()).append(':')
          .append(OpenBSDBCrypt.generate("2a", u.getValue().toCharArray(), salt, 6)).append('\n');
    }
    Files.writeString(dir.resolve("htpasswd"), htpasswd.toString());
    int port = Proc.freePort();
    return write(dir, storage, port, """
        auth:
          htpasswd: {realm: upstream, path: %s}
        """.formatted(dir.resolve("htpasswd")), false);
  }

  /** A read-only registry on {@code storage} that takes Turnstile's tokens. */
  public static Distribution tokenAuth(Path dir, Path storage, String realm, String service, String issuer, Path rootCert)
      throws Exception {
    Files.createDirectories(dir);
    int port = Proc.freePort();
    return write(dir, storage, port, """
        auth:
          token:
            realm: %s
            service: %s
            issuer: %s
            rootcertbundle: %s
        """.formatted(realm, service, issuer, rootCert), true);
  }

  /** A registry without authentication on {@code storage}, read-only. */
  public static Distribution anonymousReadOnly(Path dir, Path storage) throws Exception {
    Files.createDirectories(dir);
    return write(dir, storage, Proc.freePort(), "", true);
  }

  /** distribution's pull-through cache of {@code remote}, caching into {@code storage}. */
  public static Distribution pullThrough(Path dir, Path storage, String remote) throws Exception {
    Files.createDirectories(dir);
    return write(dir, storage, Proc.freePort(), "proxy:\n  remoteurl: " + remote + "\n", false);
  }

  private static Distribution write(Path dir, Path storage, int port, String auth, boolean readonly) throws Exception {
    String yaml = """
        version: 0.1
        log: {level: warn}
        storage:
          filesystem: {rootdirectory: %s}
          delete: {enabled: true}
          maintenance:
            uploadpurging: {enabled: false}
            readonly: {enabled: %s}
        http:
          addr: 127.0.0.1:%d
          secret: e2e-secret
        """.formatted(storage, readonly, port) + auth;
    Path config = dir.resolve("config.yml");
    Files.writeString(config, yaml, StandardCharsets.UTF_8);
    return new Distribution(config, dir.resolve("registry.log"), port);
  }

  public Distribution start() {
    String registry = Proc.require("docker-registry");
    process = Proc.start(List.of(registry, "serve", config.toString()), Map.of(), log);
    Proc.await("docker-registry on " + port, Duration.ofSeconds(20), () -> {
      int status = Proc.httpStatus(url() + "/v2/");
      return status == 401 || status == 200;
    });
    return this;
  }

  /** Where the registry writes its log, access log lines included. */
  public Path log() {
    return log;
  }

  /** The registry's process id, for resource readings. */
  public long pid() {
    return process.pid();
  }

  public void stop() {
    Proc.stop(process);
    process = null;
  }

  @Override
  public void close() {
    stop();
  }
}
