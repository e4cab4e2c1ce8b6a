package io.turnstile.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class EntitlementConfigTest {
  private static final String BASE = """
      admin:
        listen: 127.0.0.1:9091
        token: admin-token-0123456789
      upstreams:
        - name: vendor
          url: https://ghcr.io
      applications:
        - name: app
          repositories:
            - name: vendor/app
              upstream: vendor
          entitlements:
      """;

  private TurnstileConfig parse(String fields) throws ConfigException {
    return new ConfigLoader(Map.<String, String>of()::get).parse("turnstile.yaml", BASE + fields);
  }

  @Test
  void fieldsOfEveryType_loadWithTheirDefaultsAndVisibility() throws Exception {
    TurnstileConfig c = parse("""
            - {name: seats, type: integer, default: 5, visible: true}
            - {name: sso, type: boolean, default: false}
            - {name: tier, type: string}
            - {name: supportUntil, type: date, default: "2027-01-31", visible: true}
        """);
    ApplicationConfig app = c.application("app").orElseThrow();
    assertThat(app.entitlements()).containsExactly(
        new EntitlementField("seats", EntitlementType.INTEGER, "5", true),
        new EntitlementField("sso", EntitlementType.BOOLEAN, "false", false),
        new EntitlementField("tier", EntitlementType.STRING, null, false),
        new EntitlementField("supportUntil", EntitlementType.DATE, "2027-01-31", true));
    assertThat(EntitlementField.values(app.entitlements(), Map.of("seats", "25", "tier", "gold")))
        .containsExactly(Map.entry("seats", 25L), Map.entry("sso", false), Map.entry("tier", "gold"),
            Map.entry("supportUntil", "2027-01-31"));
  }

  @Test
  void aFieldWithoutValueOrDefault_isLeftOut_andAStoredValueOfARemovedField_isIgnored() throws Exception {
    ApplicationConfig app = parse("        - {name: tier, type: string}\n").application("app").orElseThrow();
    assertThat(EntitlementField.values(app.entitlements(), Map.of("gone", "1"))).isEmpty();
  }

  @Test
  void aDefaultNotOfItsType_isRefusedNamingTheField() {
    assertThatThrownBy(() -> parse("        - {name: seats, type: integer, default: many}\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("applications[0].entitlements[0].default")
        .hasMessageContaining("'many' is not an integer");
  }

  @Test
  void anUnknownType_andATwiceListedName_areRefused() {
    assertThatThrownBy(() -> parse("        - {name: seats, type: float}\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("applications[0].entitlements[0].type")
        .hasMessageContaining("'float' is not integer, boolean, string or date");
    assertThatThrownBy(() -> parse("        - {name: seats, type: integer}\n        - {name: seats, type: string}\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("applications[0].entitlements[1].name")
        .hasMessageContaining("'seats' is listed twice");
  }

  @Test
  void typesCanonicaliseAndRefuseWhatTheyAreNot() {
    assertThat(EntitlementType.INTEGER.canonical(" 025 ")).isEqualTo("25");
    assertThat(EntitlementType.DATE.canonical("2027-02-01")).isEqualTo("2027-02-01");
    assertThatThrownBy(() -> EntitlementType.BOOLEAN.canonical("yes")).hasMessage("'yes' is not a boolean (true or false)");
    assertThatThrownBy(() -> EntitlementType.DATE.canonical("2027-02-30")).hasMessage("'2027-02-30' is not a date (YYYY-MM-DD)");
    assertThatThrownBy(() -> EntitlementType.STRING.canonical("a\nb")).hasMessage("must not hold control characters");
  }

  @Test
  void withoutALicenseKeyNamed_theKeyGoesBesideTheTokenKey() throws Exception {
    TurnstileConfig c = new ConfigLoader(Map.<String, String>of()::get).parse("turnstile.yaml",
        BASE.replace("admin:", "token:\n  signingKey: /keys/token.pem\nadmin:") + "        - {name: seats, type: integer}\n");
    assertThat(c.licenseFiles().signingKey()).containsExactly(java.nio.file.Path.of("/keys/license-signing-key.jwk"));
  }

  @Test
  void licenseKeys_comeFromFilesByDefault_fromTheStoreWhenAsked_andAnotherSourceIsRefused() throws Exception {
    String fields = "        - {name: seats, type: integer}\n";
    assertThat(parse(fields).licenseFiles().keysInStore()).isFalse();
    TurnstileConfig stored = new ConfigLoader(Map.<String, String>of()::get).parse("turnstile.yaml",
        BASE.replace("admin:", "licenseFiles:\n  keySource: store\nadmin:") + fields);
    assertThat(stored.licenseFiles().keysInStore()).isTrue();
    assertThat(stored.token().keysInStore()).as("token keys keep their own source").isFalse();
    assertThatThrownBy(() -> new ConfigLoader(Map.<String, String>of()::get).parse("turnstile.yaml",
        BASE.replace("admin:", "licenseFiles:\n  keySource: vault\nadmin:") + fields))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("licenseFiles.keySource")
        .hasMessageContaining("must be files or store");
  }
}
