package io.turnstile.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code admin.oidc} and {@code admin.publicUrl} as {@link ConfigLoader} reads them. */
class OidcConfigTest {
  private static final String BASE = """
      admin:
        listen: 127.0.0.1:9091
        token: ${ADMIN_TOKEN}
      %s
      """;
  private static final String OIDC = """
        publicUrl: https://turnstile-admin.example.com/
        oidc:
          issuer: https://login.example.com/realms/vendor
          clientId: turnstile
          clientSecret: ${OIDC_SECRET}
          roles:
            admin: [turnstile-admins]
            editor: [support-leads, release-managers]
            viewer: support
      """;
  private final Map<String, String> env = Map.of(
      "ADMIN_TOKEN", "admin-token-0123456789", "OIDC_SECRET", "oidc-client-secret-value");

  private TurnstileConfig parse(String adminKeys) throws ConfigException {
    return new ConfigLoader(env::get).parse("turnstile.yaml", BASE.formatted(adminKeys));
  }

  private void assertError(String adminKeys, String message) {
    assertThatThrownBy(() -> parse(adminKeys)).isInstanceOf(ConfigException.class).hasMessage(message);
  }

  @Test
  void withoutOidc_theConsoleKeepsTheAdminTokenOnly() throws Exception {
    AdminConfig admin = parse("").admin();
    assertThat(admin.oidc()).isNull();
    assertThat(admin.publicUrl()).isNull();
  }

  @Test
  void oidc_loadsEveryField_withDefaults() throws Exception {
    AdminConfig admin = parse(OIDC).admin();
    assertThat(admin.publicUrl()).isEqualTo(URI.create("https://turnstile-admin.example.com"));
    OidcConfig oidc = admin.oidc();
    assertThat(oidc.issuer()).isEqualTo(URI.create("https://login.example.com/realms/vendor"));
    assertThat(oidc.clientId()).isEqualTo("turnstile");
    assertThat(oidc.clientSecret()).isEqualTo("oidc-client-secret-value");
    assertThat(oidc.scopes()).containsExactly("openid", "profile", "email");
    assertThat(oidc.roleClaim()).isEqualTo("groups");
    assertThat(oidc.roles().admin()).containsExactly("turnstile-admins");
    assertThat(oidc.roles().editor()).containsExactly("support-leads", "release-managers");
    assertThat(oidc.roles().viewer()).containsExactly("support");
  }

  @Test
  void scopesAndRoleClaim_canBeChosen() throws Exception {
    OidcConfig oidc = parse(OIDC.replace("    roles:", "    scopes: [openid, email, groups]\n    roleClaim: roles\n    roles:"))
        .admin().oidc();
    assertThat(oidc.scopes()).isEqualTo(List.of("openid", "email", "groups"));
    assertThat(oidc.roleClaim()).isEqualTo("roles");
  }

  @Test
  void theClientSecret_neverAppearsInToString() throws Exception {
    TurnstileConfig c = parse(OIDC);
    assertThat(c.toString()).contains("clientSecret=***").doesNotContain("oidc-client-secret-value");
  }

  @Test
  void oidcWithoutPublicUrl_isRejected_namingTheRedirectUri() {
    assertError(OIDC.replace("  publicUrl: https://turnstile-admin.example.com/\n", ""),
        "turnstile.yaml: admin.publicUrl: is required with oidc: the redirect URI registered at the provider is"
            + " <publicUrl>/console/oidc/callback");
  }

  @Test
  void publicUrlWithAPath_isRejected() {
    assertError(OIDC.replace("example.com/\n", "example.com/turnstile\n"),
        "turnstile.yaml: admin.publicUrl: must be scheme, host and port only (e.g. https://turnstile-admin.example.com)");
    assertError(OIDC.replace("https://turnstile-admin", "ftp://turnstile-admin"),
        "turnstile.yaml: admin.publicUrl: not an absolute http(s) URL");
  }

  @Test
  void plainHttpIssuer_isRejected_unlessLoopback() throws Exception {
    assertError(OIDC.replace("https://login.example.com", "http://login.example.com"),
        "turnstile.yaml: admin.oidc.issuer: must be https (plain http only on a loopback address)");
    assertThat(parse(OIDC.replace("https://login.example.com", "http://127.0.0.1:8180")).admin().oidc().issuer())
        .hasScheme("http");
  }

  @Test
  void missingClientFields_areRejected_oneByOne() {
    assertError(OIDC.replace("    clientId: turnstile\n", ""), "turnstile.yaml: admin.oidc.clientId: is required");
    assertError(OIDC.replace("    clientSecret: ${OIDC_SECRET}\n", ""),
        "turnstile.yaml: admin.oidc.clientSecret: is required");
    assertError(OIDC.replace("    issuer: https://login.example.com/realms/vendor\n", ""),
        "turnstile.yaml: admin.oidc.issuer: is required");
  }

  @Test
  void scopesWithoutOpenid_areRejected() {
    assertError(OIDC.replace("    roles:", "    scopes: [email]\n    roles:"),
        "turnstile.yaml: admin.oidc.scopes: must include openid");
    assertError(OIDC.replace("    roles:", "    scopes: [openid, \"two words\"]\n    roles:"),
        "turnstile.yaml: admin.oidc.scopes[1]: is not a valid scope (printable, no spaces or quotes)");
  }

  @Test
  void rolesMappingNothing_orOneValueTwice_areRejected() {
    assertError(OIDC.replaceAll("(?s)    roles:.*", "    roles: {}\n"),
        "turnstile.yaml: admin.oidc.roles: must map at least one claim value to admin, editor or viewer");
    assertError(OIDC.replace("viewer: support", "viewer: [support, support-leads]"),
        "turnstile.yaml: admin.oidc.roles.viewer: 'support-leads' is already mapped to editor");
    assertError(OIDC.replaceAll("(?s)    roles:.*", ""), "turnstile.yaml: admin.oidc.roles: is required");
  }
}
