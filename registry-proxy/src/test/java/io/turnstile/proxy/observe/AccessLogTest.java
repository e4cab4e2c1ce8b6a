package io.turnstile.proxy.observe;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AccessLogTest {
  @Test
  void loggedQuery_keepsScopesAndPagination_andDropsEverythingElse() {
    assertThat(AccessLog.loggedQuery("/token?service=turnstile&scope=repository:vendor/app:pull&password=hunter2"
        + "&refresh_token=eyJ.x.y&account=lic_1&client_id=docker&offline_token=true"))
        .isEqualTo("service=turnstile&scope=repository%3Avendor%2Fapp%3Apull&account=lic_1&client_id=docker"
            + "&offline_token=true");
    assertThat(AccessLog.loggedQuery("/v2/_catalog?n=10&last=vendor%2Fapp")).isEqualTo("n=10&last=vendor%2Fapp");
    assertThat(AccessLog.loggedQuery("/token?password=hunter2")).isNull();
    assertThat(AccessLog.loggedQuery("/v2/")).isNull();
  }

  @Test
  void printable_replacesControlCharacters_andCapsTheLength() {
    assertThat(AccessLog.printable("curl/8\r\n\u00e9")).isEqualTo("curl/8???");
    String longest = "/v2/" + "a".repeat(255) + "/manifests/sha512:" + "0".repeat(128);
    assertThat(AccessLog.printable(longest)).isEqualTo(longest);
    assertThat(AccessLog.printable("x".repeat(600))).hasSize(512 + 3).endsWith("...");
  }
}
