package io.turnstile.proxy.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class PermissionsTest {
  private static Role needed(String method, String... path) {
    return Permissions.needed(method, List.of(path));
  }

  @Test
  void reading_customersLicensesPullsApplicationsAndActivity_needsViewer() {
    for (String family : List.of("customers", "licenses", "pulls", "applications", "activity")) {
      assertThat(needed("GET", family)).as(family).isEqualTo(Role.VIEWER);
      assertThat(needed("GET", family, "x")).as(family).isEqualTo(Role.VIEWER);
    }
  }

  @Test
  void changing_customersLicensesGrantsAndKeys_needsEditor() {
    assertThat(needed("POST", "customers")).isEqualTo(Role.EDITOR);
    assertThat(needed("DELETE", "customers", "c1")).isEqualTo(Role.EDITOR);
    assertThat(needed("POST", "customers", "c1", "keys")).isEqualTo(Role.EDITOR);
    assertThat(needed("POST", "licenses")).isEqualTo(Role.EDITOR);
    assertThat(needed("PATCH", "licenses", "l1")).isEqualTo(Role.EDITOR);
    assertThat(needed("POST", "licenses", "l1", "versions")).isEqualTo(Role.EDITOR);
    assertThat(needed("POST", "licenses", "l1", "key")).isEqualTo(Role.EDITOR);
    assertThat(needed("POST", "licenses", "l1", "pull-secret")).isEqualTo(Role.EDITOR);
  }

  @Test
  void licenseKeyRotations_needAdmin_asTokenKeyRotationsDo_whileThePublicKeysAndTheirStatesAreReadByAViewer() {
    assertThat(needed("POST", "license-keys")).isEqualTo(needed("POST", "signing-keys")).isEqualTo(Role.ADMIN);
    assertThat(needed("POST", "license-keys", "k", "activate")).isEqualTo(Role.ADMIN);
    assertThat(needed("DELETE", "license-keys", "k")).isEqualTo(Role.ADMIN);
    assertThat(needed("GET", "license-keys")).isEqualTo(Role.VIEWER);
    assertThat(needed("GET", "license-keys", "states")).isEqualTo(Role.VIEWER);
  }

  @Test
  void signingKeys_needAdmin_evenToRead() {
    assertThat(needed("GET", "signing-keys")).isEqualTo(Role.ADMIN);
    assertThat(needed("POST", "signing-keys", "k", "activate")).isEqualTo(Role.ADMIN);
  }

  @Test
  void apiTokens_areOpenToEveryRole_theirOwnerDecidedByTheTokensApi() {
    assertThat(needed("GET", "api-tokens")).isEqualTo(Role.VIEWER);
    assertThat(needed("POST", "api-tokens")).isEqualTo(Role.VIEWER);
    assertThat(needed("DELETE", "api-tokens", "at_1")).isEqualTo(Role.VIEWER);
  }

  @Test
  void aRouteFamilyNotInTheTable_needsAdmin() {
    assertThat(needed("GET", "settings")).isEqualTo(Role.ADMIN);
    assertThat(needed("GET")).isEqualTo(Role.ADMIN);
  }

  @Test
  void eachRoleIncludesTheOnesBelow() {
    Actor viewer = new Actor(Actor.Kind.PERSON, "v@vendor.example", Role.VIEWER);
    Actor editor = new Actor(Actor.Kind.PERSON, "e@vendor.example", Role.EDITOR);
    assertThat(Permissions.allows(viewer, "GET", List.of("licenses"))).isTrue();
    assertThat(Permissions.allows(viewer, "POST", List.of("licenses"))).isFalse();
    assertThat(Permissions.allows(editor, "POST", List.of("licenses"))).isTrue();
    assertThat(Permissions.allows(editor, "GET", List.of("signing-keys"))).isFalse();
    assertThat(Permissions.allows(Actor.ADMIN_TOKEN, "POST", List.of("signing-keys"))).isTrue();
  }
}
