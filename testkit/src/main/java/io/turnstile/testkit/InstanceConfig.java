package io.turnstile.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The configuration file one {@link TurnstileProcess} is started with, and the environment
 * variables it names: what its setters chose, written afresh at each launch. Secrets (the admin
 * token, the upstream and store passwords, an encryption key) reach the file as {@code ${VAR}}
 * references, never as values. A key that is newer than some builds is written only when set, since
 * an unknown key fails the configuration.
 */
final class InstanceConfig {
  private final Path dir;
  String tagTtl = "1s";
  String tokenTtl = "5m";
  boolean nativeSignatures = true;
  String storeUrl;
  String storeUser;
  String storePassword;
  String encryptionKey;
  Path signingKey;
  String publicUrl;
  String extraYaml = "";
  String entitlementsYaml = "";
  String appLimits = "";
  Boolean audit;
  String pollInterval;
  Path blobCache;
  String blobCacheMaxSize;
  Function<TurnstileProcess, String> adminYaml = t -> "";
  Map<String, String> adminEnv = Map.of();

  /** @param dir the instance's directory: its SQLite file, encryption key file and signing key by default */
  InstanceConfig(Path dir) {
    this.dir = dir;
  }

  /** The token signing key's PEM file: the one set, or {@code signing-key.pem} in the instance's directory. */
  Path signingKeyFile() {
    return signingKey != null ? signingKey : dir.resolve("signing-key.pem");
  }

  /**
   * Writes the configuration of {@code t} to {@code file}, with {@code upstreamUrl} as its one
   * upstream, and returns the environment variables it names.
   */
  Map<String, String> write(Path file, TurnstileProcess t, String upstreamUrl, String upstreamUser,
      String upstreamPassword) throws IOException {
    Map<String, String> env = new HashMap<>();
    env.put("TURNSTILE_ADMIN_TOKEN", TurnstileProcess.ADMIN_TOKEN);
    env.put("UPSTREAM_PASSWORD", upstreamPassword);
    env.putAll(adminEnv);
    String admin = adminYaml.apply(t).stripTrailing();
    StringBuilder store = new StringBuilder("store:\n");
    store.append("  url: ").append(storeUrl != null ? storeUrl : "jdbc:sqlite:" + dir + "/turnstile.db").append('\n');
    if (storeUser != null) {
      store.append("  username: ").append(storeUser).append('\n');
    }
    if (storePassword != null) {
      store.append("  password: ${TURNSTILE_STORE_PASSWORD}\n");
      env.put("TURNSTILE_STORE_PASSWORD", storePassword);
    }
    if (encryptionKey != null) {
      store.append("  encryptionKey: ${TURNSTILE_STORE_ENCRYPTION_KEY}\n");
      env.put("TURNSTILE_STORE_ENCRYPTION_KEY", encryptionKey);
    } else {
      store.append("  encryptionKeyFile: ").append(dir).append("/store.key\n");
    }
    if (pollInterval != null) {
      store.append("  pollInterval: ").append(pollInterval).append('\n');
    }
    if (audit != null) {
      store.append("audit:\n  enabled: ").append(audit).append('\n');
    }
    if (!extraYaml.isEmpty()) {
      store.append(extraYaml).append('\n');
    }
    Files.writeString(file, """
        server:
          listen: %s
          publicUrl: %s%s
        admin:
          listen: 127.0.0.1:%d
          token: ${TURNSTILE_ADMIN_TOKEN}%s
        token:
          ttl: %s
          signingKey: %s%s
        cache:
          tagTtl: %s
        %s
        upstreams:
          - name: vendor
            url: %s
            username: %s
            password: ${UPSTREAM_PASSWORD}
            connectTimeout: 2s
            readTimeout: 10s%s
        applications:
          - name: app
            endOfLife: ["1.0.0"]%s
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
        """.formatted(t.host(), publicUrl != null ? publicUrl : t.url(), t.tlsYaml(), t.adminPort,
            t.tlsYaml() + (admin.isEmpty() ? "" : "\n" + admin), tokenTtl,
            signingKeyFile(), nativeSignatures ? "" : "\n  nativeSignatures: false", tagTtl,
            store.toString().stripTrailing(), upstreamUrl, upstreamUser,
            blobCache == null ? "" : "\n    cache:\n      blobs: {directory: " + blobCache + ", maxSize: " + blobCacheMaxSize + "}",
            entitlementsYaml + appLimits));
    return env;
  }
}
