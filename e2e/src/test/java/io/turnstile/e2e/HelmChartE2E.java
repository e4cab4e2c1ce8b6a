package io.turnstile.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.turnstile.config.ConfigLoader;
import io.turnstile.config.TurnstileConfig;
import io.turnstile.e2e.HelmChart.Rendered;
import io.turnstile.proxy.token.SigningKeys;
import io.turnstile.testkit.Proc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;

/**
 * Turnstile's Helm chart: {@code helm lint} and {@code helm template} over the default values, three
 * replicas on PostgreSQL, and the Ingress and ServiceMonitor switched on; what they render is read
 * like a cluster would read it, and the configuration it renders is loaded by Turnstile's own loader.
 */
class HelmChartE2E {
  private static final String FULLNAME = HelmChart.RELEASE + "-turnstile";

  /** Three replicas on PostgreSQL behind an nginx Ingress with TLS, scraped by Prometheus; no secrets. */
  private static final String REPLICATED_WITHOUT_SECRETS = """
      replicas: 3
      config:
        store:
          url: jdbc:postgresql://postgres.db.svc:5432/turnstile
          username: turnstile
        upstreams:
          - name: ghcr
            url: https://ghcr.io
            username: vendor-bot
          - name: public
            url: https://registry-1.docker.io
        applications:
          - name: app
            repositories:
              - {name: vendor/app, upstream: ghcr, tags: ["{version}", "v{version}"]}
              - {name: vendor/tools, upstream: public, repository: library/alpine}
      ingress:
        enabled: true
        className: nginx
        host: registry.vendor.example
        tls: {enabled: true, secretName: registry-tls}
      metrics:
        serviceMonitor:
          enabled: true
        prometheusRule:
          enabled: true
      """;
  /** The same, with the PostgreSQL and upstream passwords given to the chart. */
  private static final String REPLICATED = REPLICATED_WITHOUT_SECRETS + """
      secrets:
        storePassword: postgres-secret
        upstreamPasswords:
          ghcr: ghp-secret
      """;

  @Test
  void lint_passesStrictly_withTheDefaultAndTheReplicatedValues() {
    Proc.Result defaults = HelmChart.lint("");
    assertThat(defaults.exit()).as(defaults.all()).isZero();
    Proc.Result replicated = HelmChart.lint(REPLICATED);
    assertThat(replicated.exit()).as(replicated.all()).isZero();
  }

  @Test
  void defaults_oneReplicaOnSqlite_keptOnAVolume_replacedNotRolled() {
    Rendered r = HelmChart.render("");
    JsonNode deployment = r.one("Deployment");
    assertThat(deployment.path("spec").path("replicas").asInt()).isEqualTo(1);
    assertThat(deployment.path("spec").path("strategy").path("type").asText())
        .as("two pods must never share the SQLite file").isEqualTo("Recreate");
    assertThat(r.config().path("store").path("url").asText()).isEqualTo("jdbc:sqlite:/data/turnstile.db");
    assertThat(r.mountPath("data")).isEqualTo("/data");
    JsonNode claim = r.one("PersistentVolumeClaim");
    assertThat(r.volume("data").path("persistentVolumeClaim").path("claimName").asText())
        .isEqualTo(claim.path("metadata").path("name").asText());
    assertThat(claim.path("metadata").path("annotations").path("helm.sh/resource-policy").asText()).isEqualTo("keep");
    assertThat(r.all("PodDisruptionBudget")).isEmpty();
    assertThat(r.all("Ingress")).isEmpty();
    assertThat(r.all("ServiceMonitor")).isEmpty();
    assertThat(r.all("PrometheusRule")).isEmpty();
  }

  @Test
  void prometheusRule_alertsOnAnUnreachableStoreAndAStaleSnapshot() {
    Rendered r = HelmChart.render(REPLICATED, "--set", "metrics.prometheusRule.unreachableFor=30s", "--set", "metrics.prometheusRule.staleAfterSeconds=60");
    JsonNode rules = r.one("PrometheusRule").path("spec").path("groups").get(0).path("rules");
    assertThat(rules.get(0).path("alert").asText()).isEqualTo("TurnstileStoreUnreachable");
    assertThat(rules.get(0).path("expr").asText()).contains("turnstile_store_reachable", "== 0");
    assertThat(rules.get(0).path("for").asText()).isEqualTo("30s");
    assertThat(rules.get(1).path("alert").asText()).isEqualTo("TurnstileSnapshotStale");
    assertThat(rules.get(1).path("expr").asText()).contains("turnstile_store_snapshot_age_seconds", "> 60");
  }

  @Test
  void defaults_runAsTheImagesUser_nonRoot_onAReadOnlyRoot_withWritableTmpAndData() throws Exception {
    Rendered r = HelmChart.render("");
    Matcher uid = Pattern.compile("--uid (\\d+) --gid (\\d+)").matcher(
        Files.readString(HelmChart.DIR.resolve("../../../Dockerfile").normalize()));
    assertThat(uid.find()).as("the Dockerfile gives the turnstile user a fixed uid and gid").isTrue();
    JsonNode pod = r.podSpec().path("securityContext");
    assertThat(pod.path("runAsNonRoot").asBoolean()).isTrue();
    assertThat(pod.path("runAsUser").asText()).isEqualTo(uid.group(1));
    assertThat(pod.path("runAsGroup").asText()).isEqualTo(uid.group(2));
    assertThat(pod.path("fsGroup").asText()).as("makes /data and the signing key readable").isEqualTo(uid.group(2));
    JsonNode container = r.container().path("securityContext");
    assertThat(container.path("runAsNonRoot").asBoolean()).isTrue();
    assertThat(container.path("readOnlyRootFilesystem").asBoolean()).isTrue();
    assertThat(container.path("allowPrivilegeEscalation").asBoolean()).isFalse();
    assertThat(container.path("capabilities").path("drop").toString()).contains("\"ALL\"");
    assertThat(r.mountPath("tmp")).isEqualTo("/tmp");
    assertThat(r.volume("tmp").has("emptyDir")).as("the JVM and its native libraries need a writable /tmp").isTrue();
    assertThat(r.podSpec().path("automountServiceAccountToken").asBoolean(true)).isFalse();
  }

  @Test
  void defaults_probesAskTheAdminPort_readyzAndHealthz() {
    Rendered r = HelmChart.render("");
    JsonNode c = r.container();
    assertThat(c.path("readinessProbe").path("httpGet").path("path").asText()).isEqualTo("/readyz");
    assertThat(c.path("readinessProbe").path("httpGet").path("port").asText()).isEqualTo("admin");
    assertThat(c.path("livenessProbe").path("httpGet").path("path").asText()).isEqualTo("/healthz");
    assertThat(c.path("livenessProbe").path("httpGet").path("port").asText()).isEqualTo("admin");
    assertThat(containerPort(c, "admin")).isEqualTo(9091);
    assertThat(containerPort(c, "registry")).isEqualTo(8080);
  }

  @Test
  void defaults_configuration_listensOnAllInterfaces_holdsNoSecret_andTurnstileAcceptsIt() throws Exception {
    Rendered r = HelmChart.render("");
    Map<String, String> secret = r.secretData();
    TurnstileConfig config = load(r, secret);
    assertThat(config.server().listen().toString()).isEqualTo("0.0.0.0:8080");
    assertThat(config.admin().listen().toString()).isEqualTo("0.0.0.0:9091");
    assertThat(config.server().publicUrl().toString()).as("what a port-forward reaches").isEqualTo("http://127.0.0.1:8080");
    assertThat(config.admin().token()).isEqualTo(secret.get("admin-token")).hasSizeGreaterThanOrEqualTo(16);
    assertThat(Base64.getDecoder().decode(config.store().encryptionKey())).hasSize(32);
    for (String value : secret.values()) {
      assertThat(r.configFile()).doesNotContain(value.strip());
    }
  }

  @Test
  void defaults_signingKeyIsGenerated_andMountedWhereTheConfigurationLooksForIt() throws Exception {
    Rendered r = HelmChart.render("");
    Path signingKey = r.config().path("token").path("signingKey").asText().transform(Path::of);
    assertThat(signingKey.getParent().toString()).isEqualTo(r.mountPath("signing-key"));
    assertThat(r.volume("signing-key").path("secret").path("items").get(0).path("path").asText())
        .isEqualTo(signingKey.getFileName().toString());
    assertThat(loadSigningKey(r.secretData().get("signing-key.pem")).signingKey().getAlgorithm().getName())
        .isEqualTo("ES256");

    Rendered rsa = HelmChart.render("config: {token: {algorithm: RS256}}");
    assertThat(loadSigningKey(rsa.secretData().get("signing-key.pem")).signingKey().getAlgorithm().getName())
        .isEqualTo("RS256");
  }

  @Test
  void replicasOnSqlite_failTheRendering_withAMessageNamingTheFix() {
    Proc.Result r = HelmChart.template("", "--set", "replicas=3");
    assertThat(r.exit()).isNotZero();
    assertThat(r.err()).contains("replicas: 3 replicas need a PostgreSQL store: set config.store.url to jdbc:postgresql://");
  }

  @Test
  void threeReplicasOnPostgres_shareOneSecret_rollOneAtATime_andHaveADisruptionBudget() throws Exception {
    Rendered r = HelmChart.render(REPLICATED);
    JsonNode deployment = r.one("Deployment");
    assertThat(deployment.path("spec").path("replicas").asInt()).isEqualTo(3);
    assertThat(deployment.path("spec").path("strategy").path("type").asText()).isEqualTo("RollingUpdate");
    JsonNode podLabels = deployment.path("spec").path("template").path("metadata").path("labels");
    JsonNode pdb = r.one("PodDisruptionBudget");
    assertThat(pdb.path("spec").path("maxUnavailable").asInt()).isEqualTo(1);
    assertThat(Rendered.selects(pdb.path("spec").path("selector").path("matchLabels"), podLabels)).isTrue();
    assertThat(r.all("PersistentVolumeClaim")).as("nothing lasting is kept on /data with PostgreSQL").isEmpty();
    assertThat(r.volume("data").has("emptyDir")).isTrue();
    assertThat(r.podSpec().path("affinity").path("podAntiAffinity").isMissingNode()).isFalse();

    Map<String, String> secret = r.secretData();
    assertThat(secret).containsEntry("store-password", "postgres-secret").containsEntry("upstream-ghcr-password", "ghp-secret")
        .containsKeys("admin-token", "store-encryption-key", "signing-key.pem");
    TurnstileConfig config = load(r, secret);
    assertThat(config.store().postgres()).isTrue();
    assertThat(config.store().password()).isEqualTo("postgres-secret");
    assertThat(config.upstreams().get(0).password()).isEqualTo("ghp-secret");
    assertThat(config.upstreams().get(1).password()).as("an upstream without a username").isNull();
    assertThat(r.configFile()).doesNotContain("postgres-secret", "ghp-secret");
  }

  @Test
  void ingressAndServiceMonitor_exposeTheRegistryPort_andScrapeTheAdminPort() throws Exception {
    Rendered r = HelmChart.render(REPLICATED);
    JsonNode ingress = r.one("Ingress");
    JsonNode annotations = ingress.path("metadata").path("annotations");
    assertThat(annotations.path("nginx.ingress.kubernetes.io/proxy-body-size").asText()).isEqualTo("0");
    assertThat(annotations.path("nginx.ingress.kubernetes.io/proxy-buffering").asText()).isEqualTo("off");
    assertThat(annotations.path("nginx.ingress.kubernetes.io/proxy-request-buffering").asText()).isEqualTo("off");
    JsonNode rule = ingress.path("spec").path("rules").get(0);
    assertThat(rule.path("host").asText()).isEqualTo("registry.vendor.example");
    JsonNode backend = rule.path("http").path("paths").get(0).path("backend").path("service");
    assertThat(backend.path("name").asText()).isEqualTo(FULLNAME);
    assertThat(backend.path("port").path("name").asText()).isEqualTo("registry");
    assertThat(servicePorts(r.named("Service", FULLNAME))).contains("registry");
    assertThat(ingress.path("spec").path("tls").get(0).path("secretName").asText()).isEqualTo("registry-tls");
    assertThat(load(r, r.secretData()).server().publicUrl().toString())
        .as("publicUrl follows the Ingress host").isEqualTo("https://registry.vendor.example");

    JsonNode endpoint = r.one("ServiceMonitor").path("spec").path("endpoints").get(0);
    assertThat(endpoint.path("port").asText()).isEqualTo("admin");
    assertThat(endpoint.path("path").asText()).isEqualTo("/metrics");
    List<JsonNode> scraped = scrapedServices(r);
    assertThat(scraped).hasSize(1);
    assertThat(servicePorts(scraped.get(0))).contains("admin");
  }

  @Test
  void loadBalancer_keepsTheAdminPortOnAClusterIpServiceOfItsOwn() {
    Rendered r = HelmChart.render("service: {type: LoadBalancer}\nmetrics: {serviceMonitor: {enabled: true}}");
    JsonNode main = r.named("Service", FULLNAME);
    assertThat(main.path("spec").path("type").asText()).isEqualTo("LoadBalancer");
    assertThat(servicePorts(main)).containsExactly("registry");
    JsonNode admin = r.named("Service", FULLNAME + "-admin");
    assertThat(admin.path("spec").path("type").asText()).isEqualTo("ClusterIP");
    assertThat(servicePorts(admin)).containsExactly("admin");
    assertThat(scrapedServices(r)).containsExactly(admin);
  }

  @Test
  void existingSecret_rendersNoSecret_andEveryReferenceNamesIt() throws Exception {
    Rendered r = HelmChart.render(REPLICATED_WITHOUT_SECRETS + "secrets: {existingSecret: vendor-turnstile}\n");
    assertThat(r.all("Secret")).isEmpty();
    assertThat(r.volume("signing-key").path("secret").path("secretName").asText()).isEqualTo("vendor-turnstile");
    Map<String, String> theirs = Map.of("admin-token", "their-admin-token-0123456789",
        "store-encryption-key", Base64.getEncoder().encodeToString(new byte[32]), "signing-key.pem", "(a PEM)",
        "store-password", "their-postgres-secret", "upstream-ghcr-password", "their-ghp");
    Map<String, String> env = r.environment("vendor-turnstile", theirs);
    TurnstileConfig config = new ConfigLoader(env::get).parse("turnstile.yaml", r.configFile());
    assertThat(config.store().password()).isEqualTo("their-postgres-secret");
    assertThat(config.upstreams().get(0).password()).isEqualTo("their-ghp");
  }

  @Test
  void secretsWrittenIntoTheConfigValues_areRefused_withTheValueToUseInstead() {
    Proc.Result password = HelmChart.template("""
        config:
          upstreams:
            - {name: ghcr, url: https://ghcr.io, username: bot, password: plain}
        """);
    assertThat(password.exit()).isNotZero();
    assertThat(password.err()).contains("config.upstreams[0].password: a password would be stored in the ConfigMap; "
        + "use secrets.upstreamPasswords.ghcr");
    Proc.Result missing = HelmChart.template("""
        config:
          upstreams:
            - {name: ghcr, url: https://ghcr.io, username: bot}
        """);
    assertThat(missing.err()).contains("config.upstreams[0] (ghcr) has a username: set secrets.upstreamPasswords.ghcr");
    Proc.Result token = HelmChart.template("config: {admin: {token: plain-admin-token-0123456789}}");
    assertThat(token.err()).contains("config.admin.token: set by the chart; use secrets.adminToken");
    Proc.Result typo = HelmChart.template("replica: 3");
    assertThat(typo.err()).as("the values schema").contains("'replica' not allowed");
  }

  /** The configuration as Turnstile loads it in the pod: ${VAR}s filled from the container's env. */
  private static TurnstileConfig load(Rendered r, Map<String, String> secret) throws Exception {
    Map<String, String> env = r.environment(FULLNAME, secret);
    assertThat(env.keySet()).as("every ${VAR} of the configuration is in the container's environment")
        .containsAll(HelmChart.variables(r.configFile()));
    return new ConfigLoader(env::get).parse("turnstile.yaml", r.configFile());
  }

  private static SigningKeys loadSigningKey(String pem) throws Exception {
    Path file = Files.createTempFile("turnstile-chart-signing-key", ".pem");
    try {
      Files.writeString(file, pem);
      return SigningKeys.load(List.of(file), "ES256");
    } finally {
      Files.deleteIfExists(file);
    }
  }

  private static int containerPort(JsonNode container, String name) {
    return StreamSupport.stream(container.path("ports").spliterator(), false)
        .filter(p -> p.path("name").asText().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no container port " + name)).path("containerPort").asInt();
  }

  private static List<String> servicePorts(JsonNode service) {
    List<String> names = new ArrayList<>();
    service.path("spec").path("ports").forEach(p -> names.add(p.path("name").asText()));
    return names;
  }

  /** The Services the ServiceMonitor selects. */
  private static List<JsonNode> scrapedServices(Rendered r) {
    JsonNode selector = r.one("ServiceMonitor").path("spec").path("selector").path("matchLabels");
    return r.all("Service").stream().filter(s -> Rendered.selects(selector, s.path("metadata").path("labels"))).toList();
  }
}
