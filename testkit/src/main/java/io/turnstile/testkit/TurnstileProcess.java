package io.turnstile.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The built jar, started with a generated configuration; the vendor works it through the CLI. */
public final class TurnstileProcess implements AutoCloseable {
  public static final String ADMIN_TOKEN = "e2e-admin-token-0123456789";
  private final Path dir;
  private final String jar;
  public final int port;
  public final int adminPort;
  private Process process;
  private final ObjectMapper json = new ObjectMapper();
  private String tagTtl = "1s";
  private String tokenTtl = "5m";
  private List<String> jvmArgs = List.of();

  /** The configured {@code cache.tagTtl}; default 1s, so tags moved upstream are seen at once. */
  public TurnstileProcess tagTtl(String ttl) {
    this.tagTtl = ttl;
    return this;
  }

  /** The configured {@code token.ttl}; default 5m. */
  public TurnstileProcess tokenTtl(String ttl) {
    this.tokenTtl = ttl;
    return this;
  }

  /** More JVM options, after {@code -Xmx256m}. */
  public TurnstileProcess jvmArgs(List<String> args) {
    this.jvmArgs = List.copyOf(args);
    return this;
  }

  public long pid() {
    return process.pid();
  }

  public TurnstileProcess(Path dir) {
    this.dir = dir;
    this.jar = System.getProperty("turnstile.jar", "registry-proxy/target/turnstile.jar");
    if (!Files.exists(Path.of(jar))) {
      throw new AssertionError(jar + " is missing: build with mvn package first");
    }
    this.port = Proc.freePort();
    this.adminPort = Proc.freePort();
  }

  public String host() {
    return "127.0.0.1:" + port;
  }

  public String url() {
    return "http://" + host();
  }

  public Path certificate() {
    return dir.resolve("token-cert.pem");
  }

  public TurnstileProcess start(String upstreamUrl, String upstreamUser, String upstreamPassword) throws Exception {
    Files.createDirectories(dir);
    Path config = dir.resolve("turnstile.yaml");
    Files.writeString(config, """
        server:
          listen: 127.0.0.1:%d
          publicUrl: http://127.0.0.1:%d
        admin:
          listen: 127.0.0.1:%d
          token: ${TURNSTILE_ADMIN_TOKEN}
        token:
          ttl: %s
          signingKey: %s/signing-key.pem
        cache:
          tagTtl: %s
        store:
          url: jdbc:sqlite:%s/turnstile.db
          encryptionKeyFile: %s/store.key
        upstreams:
          - name: vendor
            url: %s
            username: %s
            password: ${UPSTREAM_PASSWORD}
            connectTimeout: 2s
            readTimeout: 10s
        applications:
          - name: app
            repositories:
              - name: vendor/app
                upstream: vendor
              - name: charts/app
                upstream: vendor
              - name: vendor/big
                upstream: vendor
          - name: multi
            repositories:
              - name: vendor/multi
                upstream: vendor
        """.formatted(port, port, adminPort, tokenTtl, dir, tagTtl, dir, dir, upstreamUrl, upstreamUser));
    List<String> command = new ArrayList<>(List.of("java", "-Xmx256m"));
    command.addAll(jvmArgs);
    command.addAll(List.of("-jar", jar, "serve", "--config", config.toString()));
    process = Proc.start(command,
        Map.of("TURNSTILE_ADMIN_TOKEN", ADMIN_TOKEN, "UPSTREAM_PASSWORD", upstreamPassword), dir.resolve("turnstile.log"));
    Proc.await("turnstile", Duration.ofSeconds(30), () -> Proc.httpStatus(url() + "/v2/") == 401);
    // The signing key's certificate, for a registry's rootcertbundle.
    String pem = Files.readString(dir.resolve("signing-key.pem"));
    Files.writeString(certificate(), pem.substring(pem.indexOf("-----BEGIN CERTIFICATE-----")));
    return this;
  }

  /** Runs {@code turnstile <args> -o json} against the admin API. */
  public JsonNode cli(String... args) {
    Proc.Result r = cliRaw(null, Map.of(), args);
    if (r.exit() != 0) {
      throw new AssertionError("turnstile " + String.join(" ", args) + " failed: " + r.err());
    }
    try {
      return json.readTree(r.out());
    } catch (Exception e) {
      throw new AssertionError("not JSON: " + r.out(), e);
    }
  }

  public Proc.Result cliRaw(String stdin, Map<String, String> env, String... args) {
    List<String> cmd = new ArrayList<>(List.of("java", "-jar", jar));
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("--admin-url", "http://127.0.0.1:" + adminPort, "-o", "json"));
    Map<String, String> all = new java.util.HashMap<>(env);
    all.put("TURNSTILE_ADMIN_TOKEN", ADMIN_TOKEN);
    return Proc.run(cmd, all, stdin, Duration.ofMinutes(1));
  }

  public Path log() {
    return dir.resolve("turnstile.log");
  }

  @Override
  public void close() {
    Proc.stop(process);
  }
}
