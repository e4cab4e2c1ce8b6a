package io.turnstile.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.turnstile.config.ConfigLoader;
import io.turnstile.config.OidcConfig;
import io.turnstile.config.TurnstileConfig;
import io.turnstile.e2e.HelmChart.Rendered;
import io.turnstile.testkit.Proc;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The Helm chart's console single sign-on: the {@code oidc} values become {@code admin.oidc} and
 * {@code admin.publicUrl}, the client secret reaches the pod from a Secret only, and what is missing
 * fails the rendering with the value to set.
 */
class HelmChartSingleSignOnE2E {
  private static final String FULLNAME = HelmChart.RELEASE + "-turnstile";
  private static final String OIDC = """
      oidc:
        issuer: https://keycloak.vendor.example/realms/vendor
        clientId: turnstile
        publicUrl: https://turnstile-admin.vendor.example
        roleClaim: roles
        roles:
          admin: [turnstile-admins]
          editor: [release-managers, support-leads]
          viewer: [support]
      """;

  @Test
  void lint_passesStrictly_withSingleSignOn() {
    Proc.Result r = HelmChart.lint(OIDC + "secrets: {oidcClientSecret: chart-kept-client-secret}\n");
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
  }

  @Test
  void oidcValues_becomeAdminOidc_withTheClientSecretFromTheChartsSecret_andTurnstileAcceptsThem() throws Exception {
    Rendered r = HelmChart.render(OIDC + "secrets: {oidcClientSecret: chart-kept-client-secret}\n");
    Map<String, String> secret = r.secretData();
    assertThat(secret).containsEntry("oidc-client-secret", "chart-kept-client-secret");
    assertThat(r.configFile()).doesNotContain("chart-kept-client-secret");
    Map<String, String> env = r.environment(FULLNAME, secret);
    TurnstileConfig config = new ConfigLoader(env::get).parse("turnstile.yaml", r.configFile());
    assertThat(config.admin().publicUrl()).isEqualTo(URI.create("https://turnstile-admin.vendor.example"));
    OidcConfig oidc = config.admin().oidc();
    assertThat(oidc.issuer()).isEqualTo(URI.create("https://keycloak.vendor.example/realms/vendor"));
    assertThat(oidc.clientId()).isEqualTo("turnstile");
    assertThat(oidc.clientSecret()).isEqualTo("chart-kept-client-secret");
    assertThat(oidc.scopes()).containsExactly("openid", "profile", "email");
    assertThat(oidc.roleClaim()).isEqualTo("roles");
    assertThat(oidc.roles().admin()).containsExactly("turnstile-admins");
    assertThat(oidc.roles().editor()).containsExactly("release-managers", "support-leads");
    assertThat(oidc.roles().viewer()).containsExactly("support");
  }

  @Test
  void aSecretOfTheirOwn_holdsTheClientSecret_andTheChartKeepsNoCopy() throws Exception {
    Rendered r = HelmChart.render(OIDC + "  clientSecret: {existingSecret: vendor-oidc, key: client-secret}\n");
    assertThat(r.secretData()).doesNotContainKey("oidc-client-secret");
    JsonNode ref = null;
    Map<String, String> env = new HashMap<>();
    for (JsonNode e : r.container().path("env")) {
      if (e.path("name").asText().equals("TURNSTILE_OIDC_CLIENT_SECRET")) {
        ref = e.path("valueFrom").path("secretKeyRef");
        env.put("TURNSTILE_OIDC_CLIENT_SECRET", "their-client-secret");
      } else if (e.has("value")) {
        env.put(e.path("name").asText(), e.path("value").asText());
      } else {
        env.put(e.path("name").asText(), "0123456789abcdef0123456789abcdef");
      }
    }
    assertThat(ref).as("TURNSTILE_OIDC_CLIENT_SECRET in the container's environment").isNotNull();
    assertThat(ref.path("name").asText()).isEqualTo("vendor-oidc");
    assertThat(ref.path("key").asText()).isEqualTo("client-secret");
    assertThat(HelmChart.variables(r.configFile())).contains("TURNSTILE_OIDC_CLIENT_SECRET");
    env.put("TURNSTILE_STORE_ENCRYPTION_KEY", java.util.Base64.getEncoder().encodeToString(new byte[32]));
    TurnstileConfig config = new ConfigLoader(env::get).parse("turnstile.yaml", r.configFile());
    assertThat(config.admin().oidc().clientSecret()).isEqualTo("their-client-secret");
  }

  @Test
  void withoutOidcValues_theConsoleKeepsTheAdminTokenOnly() throws Exception {
    Rendered r = HelmChart.render("");
    assertThat(r.config().path("admin").has("oidc")).isFalse();
    assertThat(r.secretData()).doesNotContainKey("oidc-client-secret");
    assertThat(r.container().path("env").findValuesAsText("name")).doesNotContain("TURNSTILE_OIDC_CLIENT_SECRET");
  }

  @Test
  void missingPieces_andOidcWrittenIntoTheConfigValues_failTheRendering_namingTheFix() {
    for (Map.Entry<String, String> c : Map.of(
        OIDC, "oidc.issuer is set: set secrets.oidcClientSecret, or oidc.clientSecret.existingSecret",
        OIDC.replace("  publicUrl: https://turnstile-admin.vendor.example\n", "")
            + "secrets: {oidcClientSecret: x}\n", "oidc.publicUrl: required with oidc.issuer",
        OIDC.replace("  clientId: turnstile\n", "") + "secrets: {oidcClientSecret: x}\n",
        "oidc.clientId: required with oidc.issuer",
        "config: {admin: {oidc: {issuer: https://x.example}}}\n", "config.admin.oidc: set by the chart; use oidc",
        "oidc: {issuer: https://x.example, clientSecret: {existingSecret: s, key: \"\"}}\n", "key",
        "oidc: {issuers: https://x.example}\n", "'issuers' not allowed").entrySet()) {
      Proc.Result r = HelmChart.template(c.getKey());
      assertThat(r.exit()).as(c.getKey()).isNotZero();
      assertThat(r.err()).as(c.getKey()).contains(c.getValue());
    }
  }
}
