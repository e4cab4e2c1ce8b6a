package io.turnstile.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  private static final String VALID = """
      server:
        listen: 127.0.0.1:8080
        publicUrl: https://registry.example.com
      admin:
        listen: 127.0.0.1:9091
        token: ${ADMIN_TOKEN}
      token:
        ttl: 5m
        signingKey: data/signing-key.pem
      store:
        url: jdbc:sqlite:data/turnstile.db
      upstreams:
        - name: vendor
          url: https://ghcr.io
          username: vendor-bot
          password: ${GHCR_TOKEN}
      applications:
        - name: app
          repositories:
            - name: vendor/app
              upstream: vendor
              repository: my-org/app
            - name: charts/app
              upstream: vendor
              repository: my-org/charts/app
              tags: ["{version}", "v{version}"]
      """;

  private final Map<String, String> env = Map.of(
      "ADMIN_TOKEN", "admin-token-0123456789",
      "GHCR_TOKEN", "ghp_secret$with{odd}chars: and # yaml");

  private TurnstileConfig parse(String yaml) throws ConfigException {
    return new ConfigLoader(env::get).parse("turnstile.yaml", yaml);
  }

  private void assertError(String yaml, String expectedMessage) {
    assertThatThrownBy(() -> parse(yaml))
        .isInstanceOf(ConfigException.class)
        .hasMessage(expectedMessage);
  }

  @Test
  void validFile_loadsEveryField() throws Exception {
    TurnstileConfig c = parse(VALID);
    assertThat(c.server().listen()).isEqualTo(new HostPort("127.0.0.1", 8080));
    assertThat(c.server().baseUrl()).isEqualTo("https://registry.example.com");
    assertThat(c.admin().token()).isEqualTo("admin-token-0123456789");
    assertThat(c.token().ttl()).isEqualTo(Duration.ofMinutes(5));
    assertThat(c.token().signingKey()).containsExactly(Path.of("data/signing-key.pem"));
    assertThat(c.upstreams().get(0).password()).isEqualTo("ghp_secret$with{odd}chars: and # yaml");
    assertThat(c.upstreams().get(0).blobRedirects()).isEqualTo(BlobRedirects.FOLLOW);
    assertThat(c.applications().get(0).repositories().get(1).repository()).isEqualTo("my-org/charts/app");
    assertThat(c.applications().get(0).repositories().get(0).tags()).containsExactly("{version}");
  }

  @Test
  void loggingAndShutdownGrace_haveDefaults() throws Exception {
    TurnstileConfig c = parse(VALID);
    assertThat(c.logging().json()).isFalse();
    assertThat(c.server().shutdownGrace()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void loggingFormatJsonAndShutdownGrace_areRead() throws Exception {
    TurnstileConfig c = parse(VALID.replace("  publicUrl: https://registry.example.com\n",
        "  publicUrl: https://registry.example.com\n  shutdownGrace: 2m\n") + "logging:\n  format: json\n");
    assertThat(c.logging().json()).isTrue();
    assertThat(c.server().shutdownGrace()).isEqualTo(Duration.ofMinutes(2));
  }

  @Test
  void unknownLoggingFormat_isRejected() {
    assertError(VALID + "logging:\n  format: xml\n", "turnstile.yaml: logging.format: must be text or json");
  }

    @Test
  void secretsNeverAppearInToString() throws Exception {
    TurnstileConfig c = parse(VALID);
    assertThat(c.toString()).doesNotContain("ghp_secret").doesNotContain("admin-token-0123456789");
  }

  @Test
  void shippedExample_loadsWithOnlyTheAdminToken() throws Exception {
    Path example = Path.of("turnstile.example.yaml");
    TurnstileConfig c = new ConfigLoader(Map.of("TURNSTILE_ADMIN_TOKEN", "admin-token-0123456789")::get).load(example);
    assertThat(c.server().listen().port()).isEqualTo(8080);
    assertThat(c.admin().listen().port()).isEqualTo(9091);
    assertThat(c.store().url()).isEqualTo("jdbc:sqlite:data/turnstile.db");
    assertThat(c.application("demo")).isPresent();
  }

  @Test
  void environmentDefault_isUsedWhenUnset() throws Exception {
    TurnstileConfig c = parse(VALID.replace("${GHCR_TOKEN}", "${UNSET_VAR:-fallback}"));
    assertThat(c.upstreams().get(0).password()).isEqualTo("fallback");
  }

  @Test
  void dollarDollar_isALiteral() throws Exception {
    TurnstileConfig c = parse(VALID.replace("${GHCR_TOKEN}", "a$${B}c"));
    assertThat(c.upstreams().get(0).password()).isEqualTo("a${B}c");
  }

  @Test
  void unsetVariableWithoutDefault_namesFieldAndVariable() {
    assertError(VALID.replace("${GHCR_TOKEN}", "${NOT_SET}"),
        "turnstile.yaml: upstreams[0].password: environment variable NOT_SET is not set");
  }

  @Test
  void badUpstreamUrl_namesThePath() {
    assertError(VALID.replace("url: https://ghcr.io", "url: ghcr.io"),
        "turnstile.yaml: upstreams[0].url: not an absolute http(s) URL");
  }

  @Test
  void unknownKey_isAnError() {
    assertThatThrownBy(() -> parse(VALID.replace("  ttl: 5m", "  ttl: 5m\n  tll: 6m")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("turnstile.yaml: token.tll: unknown key");
  }

  @Test
  void unknownKeyInListItem_namesTheIndex() {
    assertThatThrownBy(() -> parse(VALID.replace("        repository: my-org/app\n", "        repository: my-org/app\n        repo: x\n")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("turnstile.yaml: applications[0].repositories[0].repo: unknown key");
  }

  @Test
  void tokenTtlBelowSixtySeconds_isRejected() {
    assertError(VALID.replace("ttl: 5m", "ttl: 30s"),
        "turnstile.yaml: token.ttl: must be at least 60s (registry token spec)");
  }

  @Test
  void badDuration_isRejected() {
    assertError(VALID.replace("ttl: 5m", "ttl: soon"),
        "turnstile.yaml: token.ttl: 'soon' is not a duration (e.g. 500ms, 60s, 5m, 2h, 30d)");
  }

  @Test
  void badListenAddress_isRejected() {
    assertError(VALID.replace("listen: 127.0.0.1:8080", "listen: 127.0.0.1"),
        "turnstile.yaml: server.listen: '127.0.0.1' is not host:port");
  }

  @Test
  void missingAdminSection_isRejected() {
    assertError(VALID.replace("admin:\n  listen: 127.0.0.1:9091\n  token: ${ADMIN_TOKEN}\n", ""),
        "turnstile.yaml: admin: is required");
  }

  @Test
  void shortAdminToken_isRejected() {
    assertError(VALID.replace("token: ${ADMIN_TOKEN}", "token: short"),
        "turnstile.yaml: admin.token: must be at least 16 characters");
  }

  @Test
  void theReadmesExampleAdminToken_isRefused_unlessTheAdminListenerIsLoopback() throws Exception {
    String example = VALID.replace("token: ${ADMIN_TOKEN}", "token: change-me-0123456789");
    assertError(example.replace("listen: 127.0.0.1:9091", "listen: 0.0.0.0:9091"),
        "turnstile.yaml: admin.token: is the README's example token, which anyone can read: choose your own"
            + " (e.g. openssl rand -hex 32), or listen on loopback only (admin.listen: 127.0.0.1:9091)");
    assertError(example.replace("listen: 127.0.0.1:9091", "listen: 10.0.0.5:9091"),
        "turnstile.yaml: admin.token: is the README's example token, which anyone can read: choose your own"
            + " (e.g. openssl rand -hex 32), or listen on loopback only (admin.listen: 127.0.0.1:9091)");
    for (String loopback : new String[] {"127.0.0.1:9091", "localhost:9091", "\"[::1]:9091\""}) {
      assertThat(parse(example.replace("listen: 127.0.0.1:9091", "listen: " + loopback)).admin().token())
          .isEqualTo(AdminConfig.EXAMPLE_TOKEN);
    }
  }

  @Test
  void repositoryWithUnknownUpstream_isRejected() {
    assertError(VALID.replace("      upstream: vendor\n        repository: my-org/app", "      upstream: nowhere\n        repository: my-org/app")
            .replace("upstream: vendor\n              repository: my-org/app", "upstream: nowhere\n              repository: my-org/app"),
        "turnstile.yaml: applications[0].repositories[0].upstream: no upstream named 'nowhere' in upstreams");
  }

  @Test
  void duplicateUpstreamName_isRejected() {
    String twice = VALID.replace("applications:\n", "  - name: vendor\n    url: https://other.example\napplications:\n");
    assertError(twice, "turnstile.yaml: upstreams[1].name: 'vendor' is listed twice");
  }

  @Test
  void repositoryInTwoApplications_isRejected() {
    String yaml = VALID + """
          - name: other
            repositories:
              - name: vendor/app
                upstream: vendor
        """;
    assertError(yaml, "turnstile.yaml: applications[1].repositories[0].name: 'vendor/app' already belongs to application 'app'");
  }

  @Test
  void tagTemplateWithoutPlaceholder_isRejected() {
    assertError(VALID.replace("tags: [\"{version}\", \"v{version}\"]", "tags: [\"latest\"]"),
        "turnstile.yaml: applications[0].repositories[1].tags[0]: must contain {version} exactly once");
  }

  @Test
  void endOfLife_isReadPerApplication_andDefaultsToNone() throws Exception {
    String yaml = VALID.replace("  - name: app\n    repositories:",
        "  - name: app\n    endOfLife: [\"1.0.0\", \"<2.0.0\", \"1.x || 3.0.0-rc.1\"]\n    repositories:");
    assertThat(parse(yaml).applications().get(0).endOfLife()).containsExactly("1.0.0", "<2.0.0", "1.x || 3.0.0-rc.1");
    assertThat(parse(VALID).applications().get(0).endOfLife()).isEmpty();
  }

  @Test
  void endOfLife_thatIsNeitherAVersionNorARange_orListedTwice_isRejected() {
    assertError(VALID.replace("  - name: app\n    repositories:",
            "  - name: app\n    endOfLife: [\"1.0.0\", \"$(rm -rf)\"]\n    repositories:"),
        "turnstile.yaml: applications[0].endOfLife[1]: '$(rm -rf)' is not a version or a version range"
            + " (e.g. 1.0.0, 1.x, <2.0.0; at most 256 characters)");
    assertError(VALID.replace("  - name: app\n    repositories:",
            "  - name: app\n    endOfLife: [\"1.0.0\", \"1.0.0\"]\n    repositories:"),
        "turnstile.yaml: applications[0].endOfLife[1]: '1.0.0' is listed twice");
  }

  @Test
  void limits_areReadPerApplication_withSizesAndModes_andDefaultToNone() throws Exception {
    String yaml = VALID.replace("  - name: app\n    repositories:", "  - name: app\n    limits:\n"
        + "      manifestPullsPerDay: {limit: 5000}\n      blobBytesPerMonth: {limit: 50GiB, mode: enforce}\n"
        + "      addressesPerDay: {limit: 20, mode: watch}\n    repositories:");
    LimitsConfig limits = parse(yaml).applications().get(0).limits();
    assertThat(limits.manifestPullsPerDay()).isEqualTo(new LimitConfig(5000L, "enforce"));
    assertThat(limits.blobBytesPerMonth().limit()).isEqualTo(50L << 30);
    assertThat(limits.addressesPerDay().enforced()).isFalse();
    assertThat(parse(VALID).applications().get(0).limits()).isEqualTo(LimitsConfig.none());
  }

  @Test
  void limits_withAnUnknownModeOrBelowOne_areRejected() {
    assertError(VALID.replace("  - name: app\n    repositories:",
            "  - name: app\n    limits:\n      addressesPerDay: {limit: 20, mode: warn}\n    repositories:"),
        "turnstile.yaml: applications[0].limits.addressesPerDay.mode: 'warn' is neither enforce nor watch");
    assertError(VALID.replace("  - name: app\n    repositories:",
            "  - name: app\n    limits:\n      manifestPullsPerDay: {limit: 0}\n    repositories:"),
        "turnstile.yaml: applications[0].limits.manifestPullsPerDay.limit: must be at least 1");
  }

  @Test
  void invalidRepositoryName_isRejected() {
    assertError(VALID.replace("- name: vendor/app", "- name: Vendor/App"),
        "turnstile.yaml: applications[0].repositories[0].name: 'Vendor/App' is not a valid repository name (lowercase path components)");
  }

  @Test
  void wrongType_isReported() {
    assertError(VALID.replace("upstreams:\n  - name: vendor", "upstreams:\n  name: vendor").replace("    url: https://ghcr.io\n    username: vendor-bot\n    password: ${GHCR_TOKEN}\n", ""),
        "turnstile.yaml: upstreams: expected a list");
  }

  @Test
  void badBase64EncryptionKey_isRejected() {
    assertError(VALID.replace("url: jdbc:sqlite:data/turnstile.db", "url: jdbc:sqlite:data/turnstile.db\n  encryptionKey: c2hvcnQ="),
        "turnstile.yaml: store.encryptionKey: must be base64 of 32 bytes (got 5 bytes)");
  }

  @Test
  void unsupportedDatabase_isRejected() {
    assertError(VALID.replace("url: jdbc:sqlite:data/turnstile.db", "url: jdbc:mysql://db/x"),
        "turnstile.yaml: store.url: must be a jdbc:sqlite: or jdbc:postgresql: URL");
  }

  @Test
  void badBlobRedirects_isRejected() {
    assertError(VALID.replace("    password: ${GHCR_TOKEN}", "    password: ${GHCR_TOKEN}\n    blobRedirects: sometimes"),
        "turnstile.yaml: upstreams[0].blobRedirects: 'sometimes' is not one of follow, passthrough");
  }

  @Test
  void yamlSyntaxError_givesLine() {
    assertThatThrownBy(() -> parse("server:\n  listen: [unclosed\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("turnstile.yaml: line ")
        .hasMessageContaining("not valid YAML");
  }

  @Test
  void emptyFile_isRejected() {
    assertError("", "turnstile.yaml: the file is empty");
  }

  @Test
  void missingFile_isReported(@TempDir Path dir) {
    Path missing = dir.resolve("nope.yaml");
    assertThatThrownBy(() -> new ConfigLoader(env::get).load(missing))
        .isInstanceOf(ConfigException.class)
        .hasMessage(missing + ": file not found");
  }

  @Test
  void loadFromFile_namesTheFileInErrors(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("prod.yaml");
    Files.writeString(file, VALID.replace("ttl: 5m", "ttl: 1s"));
    assertThatThrownBy(() -> new ConfigLoader(env::get).load(file))
        .hasMessage("prod.yaml: token.ttl: must be at least 60s (registry token spec)");
  }

  @Test
  void auditSection_hasDefaultsAndTakesItsValues() throws Exception {
    AuditConfig defaults = parse(VALID).audit();
    assertThat(defaults.enabled()).isTrue();
    assertThat(defaults.retention()).isEqualTo(Duration.ofDays(90));
    assertThat(defaults.queueSize()).isEqualTo(100_000);
    assertThat(defaults.pullWindow()).isEqualTo(Duration.ofSeconds(10));
    AuditConfig set = parse(VALID + "audit:\n  enabled: false\n  retention: 30d\n  queueSize: 5000\n  pullWindow: 2m\n")
        .audit();
    assertThat(set).isEqualTo(new AuditConfig(false, Duration.ofDays(30), 5000, Duration.ofMinutes(2)));
    assertThatThrownBy(() -> parse(VALID + "audit:\n  pullWindow: 500ms\n"))
        .hasMessageContaining("audit.pullWindow: must be between 1s and 10m");
  }

  @Test
  void nativeSignatures_areOnByDefault_andCanBeTurnedOff() throws Exception {
    assertThat(parse(VALID).token().nativeSignatures()).isTrue();
    assertThat(parse(VALID.replace("  ttl: 5m\n", "  ttl: 5m\n  nativeSignatures: false\n")).token().nativeSignatures())
        .isFalse();
    assertError(VALID.replace("  ttl: 5m\n", "  ttl: 5m\n  nativeSignatures: maybe\n"), "turnstile.yaml: token.nativeSignatures: expected a Boolean");
  }

  @Test
  void auditRetentionOutOfRange_isRejected() {
    assertError(VALID + "audit:\n  retention: 2h\n", "turnstile.yaml: audit.retention: must be between 1d and 3650d");
    assertError(VALID + "audit:\n  queueSize: 10\n", "turnstile.yaml: audit.queueSize: must be between 1000 and 10000000");
  }

  // ---- blob cache ----

  private static String withBlobCache(String cacheYaml) {
    return VALID.replace("    password: ${GHCR_TOKEN}", "    password: ${GHCR_TOKEN}\n    cache:\n" + cacheYaml);
  }

  @Test
  void upstreamConnections_boundAndWait_haveDefaults_andRefuseNonsense() throws Exception {
    UpstreamConfig u = parse(VALID).upstreams().get(0);
    assertThat(u.maxConnections()).isEqualTo(64);
    assertThat(u.connectionWait()).isEqualTo(Duration.ofSeconds(60));
    String tuned = VALID.replace("    password: ${GHCR_TOKEN}",
        "    password: ${GHCR_TOKEN}\n    maxConnections: 256\n    connectionWait: 2m");
    assertThat(parse(tuned).upstreams().get(0).connectionWait()).isEqualTo(Duration.ofMinutes(2));
    assertError(VALID.replace("    password: ${GHCR_TOKEN}", "    password: ${GHCR_TOKEN}\n    connectionWait: 0s"),
        "turnstile.yaml: upstreams[0].connectionWait: must be positive");
    assertError(VALID.replace("    password: ${GHCR_TOKEN}", "    password: ${GHCR_TOKEN}\n    maxConnections: 0"),
        "turnstile.yaml: upstreams[0].maxConnections: must be at least 1");
  }

  @Test
  void blobCache_isOffByDefault() throws Exception {
    assertThat(parse(VALID).upstreams().get(0).cache().blobs()).isNull();
  }

  @Test
  void blobCache_takesADirectoryAndASizeWithAUnit() throws Exception {
    TurnstileConfig c = parse(withBlobCache("      blobs:\n        directory: data/blobs\n        maxSize: 20GiB\n"));
    BlobCacheConfig blobs = c.upstreams().get(0).cache().blobs();
    assertThat(blobs.directory()).isEqualTo(Path.of("data/blobs"));
    assertThat(blobs.maxSize()).isEqualTo(20L << 30);
    assertThat(parse(withBlobCache("      blobs: {directory: b, maxSize: 1048576}\n")).upstreams().get(0)
        .cache().blobs().maxSize()).isEqualTo(1L << 20);
  }

  @Test
  void blobCache_errorsNameTheField() {
    assertError(withBlobCache("      blobs:\n        maxSize: 1GiB\n"),
        "turnstile.yaml: upstreams[0].cache.blobs.directory: is required");
    assertError(withBlobCache("      blobs:\n        directory: b\n"),
        "turnstile.yaml: upstreams[0].cache.blobs.maxSize: is required");
    assertError(withBlobCache("      blobs: {directory: b, maxSize: 10KiB}\n"),
        "turnstile.yaml: upstreams[0].cache.blobs.maxSize: must be at least 1MiB");
    assertError(withBlobCache("      blobs: {directory: b, maxSize: lots}\n"),
        "turnstile.yaml: upstreams[0].cache.blobs.maxSize: 'lots' is not a size (e.g. 1048576, 512MiB, 20GiB)");
    assertThatThrownBy(() -> parse(withBlobCache("      blobs: {directory: b, maxSize: 1GiB, ttl: 5m}\n")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("turnstile.yaml: upstreams[0].cache.blobs.ttl: unknown key");
  }

  @Test
  void manifestCache_isOnWhereverTheBlobCacheIs_andCanBeTurnedOff_butNeedsTheBlobCache() throws Exception {
    assertThat(parse(VALID).upstreams().get(0).cache().manifests()).isFalse();
    assertThat(parse(withBlobCache("      blobs: {directory: b, maxSize: 1GiB}\n")).upstreams().get(0)
        .cache().manifests()).isTrue();
    assertThat(parse(withBlobCache("      blobs: {directory: b, maxSize: 1GiB}\n      manifests: false\n")).upstreams()
        .get(0).cache().manifests()).isFalse();
    assertError(withBlobCache("      manifests: true\n"),
        "turnstile.yaml: upstreams[0].cache.manifests: needs cache.blobs: manifests are kept in its directory");
  }

  @Test
  void staleIfError_defaultsToADay_zeroTurnsItOff_andBeyondAYearIsRefused() throws Exception {
    assertThat(parse(VALID).cache().staleIfError()).isEqualTo(Duration.ofHours(24));
    assertThat(parse(VALID + "cache:\n  staleIfError: 0s\n").cache().staleIfError()).isZero();
    assertError(VALID + "cache:\n  staleIfError: 400d\n", "turnstile.yaml: cache.staleIfError: must be between 0s and 365d");
  }

  @Test
  void blobCacheDirectory_sharedByTwoUpstreams_isRejected() {
    String two = withBlobCache("      blobs: {directory: data/blobs, maxSize: 1GiB}\n").replace("applications:",
        "  - name: other\n    url: https://quay.io\n    cache:\n      blobs: {directory: ./data/blobs, maxSize: 1GiB}\n"
            + "applications:");
    assertError(two, "turnstile.yaml: upstreams[1].cache.blobs.directory: already the blob cache of upstream 'vendor'");
  }
}
