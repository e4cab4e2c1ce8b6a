package io.turnstile.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

/**
 * CNCF distribution (Debian's {@code docker-registry}) on loopback: either with htpasswd Basic auth
 * (the vendor's upstream) or with token auth against Turnstile (the interop check), over a storage
 * directory that can be shared.
 */
public final class Distribution implements AutoCloseable {
  /** A header every answer of this registry carries, naming it: an answer without it is another program's. */
  private static final String INSTANCE_HEADER = "X-Testkit-Instance";

  private final Path config;
  private final Path log;
  private final Path storage;
  private final String auth;
  private final boolean readonly;
  private final String instance = UUID.randomUUID().toString();
  /**
   * Its port: a free one picked when this is made. The first {@link #start} moves to another when a
   * different program took it meanwhile, so read it once that has returned; a restart keeps it.
   */
  public int port;
  private boolean started;
  private Process process;

  private Distribution(Path dir, Path storage, String auth, boolean readonly) {
    this.config = dir.resolve("config.yml");
    this.log = dir.resolve("registry.log");
    this.storage = storage;
    this.auth = auth;
    this.readonly = readonly;
    this.port = Proc.freePort();
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
    return new Distribution(dir, storage, """
        auth:
          htpasswd: {realm: upstream, path: %s}
        """.formatted(dir.resolve("htpasswd")), false);
  }

  /** A read-only registry on {@code storage} that takes Turnstile's tokens. */
  public static Distribution tokenAuth(Path dir, Path storage, String realm, String service, String issuer, Path rootCert)
      throws Exception {
    Files.createDirectories(dir);
    return new Distribution(dir, storage, """
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
    return new Distribution(dir, storage, "", true);
  }

  /** distribution's pull-through cache of {@code remote}, caching into {@code storage}. */
  public static Distribution pullThrough(Path dir, Path storage, String remote) throws Exception {
    Files.createDirectories(dir);
    return new Distribution(dir, storage, "proxy:\n  remoteurl: " + remote + "\n", false);
  }

  private void writeConfig() throws IOException {
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
          headers:
            %s: [%s]
        """.formatted(storage, readonly, port, INSTANCE_HEADER, instance) + auth;
    Files.writeString(config, yaml, StandardCharsets.UTF_8);
  }

  /**
   * Starts the registry; returns once it answers {@code /v2/} as itself (an answer from another
   * program on the port does not count).
   */
  public Distribution start() {
    String registry = Proc.require("docker-registry");
    if (started) {
      launch(registry);
      return this;
    }
    Proc.onFreePorts("docker-registry in " + config.getParent(), attempt -> {
      if (attempt > 0) {
        port = Proc.freePort();
      }
      launch(registry);
    }, () -> log);
    started = true;
    return this;
  }

  private void launch(String registry) {
    try {
      writeConfig();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    process = Proc.start(List.of(registry, "serve", config.toString()), Map.of(), log);
    HttpClient http = HttpClient.newHttpClient();
    Proc.await("docker-registry on " + port, Duration.ofSeconds(60), () -> {
      if (!process.isAlive()) {
        throw new AssertionError("docker-registry exited" + (Proc.addressInUse(log)
            ? " (port " + port + " is taken by another program)" : "") + "; see " + log);
      }
      return answersAsItself(http);
    });
  }

  private boolean answersAsItself(HttpClient http) {
    try {
      HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(url() + "/v2/")).timeout(Duration.ofSeconds(2))
          .build(), HttpResponse.BodyHandlers.discarding());
      return (r.statusCode() == 401 || r.statusCode() == 200)
          && r.headers().firstValue(INSTANCE_HEADER).filter(instance::equals).isPresent();
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
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
