package io.turnstile.proxy.access;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.matching;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import io.turnstile.proxy.testing.FakeRegistry;
import io.turnstile.proxy.testing.TestTurnstile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Upstream credentials reach only the upstream they belong to, and serve only the license that carries them. */
class UpstreamCredentialsIT {
  @RegisterExtension
  static WireMockExtension upstream = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();

  /** Another origin (another port): where a token realm may redirect to. */
  @RegisterExtension
  static WireMockExtension elsewhere = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();

  @TempDir Path dir;
  private TestTurnstile ts;
  private final HttpClient http = HttpClient.newHttpClient();

  @AfterEach
  void stop() {
    if (ts != null) {
      ts.close();
    }
  }

  private HttpResponse<String> pullManifest(TestTurnstile.Login login) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(ts.registryUrl() + "/v2/vendor/app/manifests/1.0.0"))
        .timeout(Duration.ofSeconds(20)).header("Authorization", login.basic()).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** A license for app 1.0.0 that reads the upstream with its own credentials. */
  private TestTurnstile.Login licenseWithUpstreamCredentials(String username, String password) throws Exception {
    TestTurnstile.Login login = ts.license("app", "1.0.0");
    TestTurnstile.Answer a = ts.admin("PATCH", "/admin/v1/licenses/" + login.username(),
        "{\"upstreamCredentials\":{\"username\":\"" + username + "\",\"password\":\"" + password + "\"}}");
    assertThat(a.status()).as(a.raw()).isEqualTo(200);
    return login;
  }

  @Test
  void upstreamTokensAreNotSharedBetweenPasswords() throws Exception {
    FakeRegistry.withTokenRealm(upstream, upstream.baseUrl(), "token-for-vendor").image("org/app", "1.0.0", 1, 100);
    ts = new TestTurnstile(dir, upstream.baseUrl(), "", false);
    TestTurnstile.Login good = licenseWithUpstreamCredentials(FakeRegistry.USER, FakeRegistry.PASSWORD);
    TestTurnstile.Login revoked = licenseWithUpstreamCredentials(FakeRegistry.USER, "revoked-at-the-upstream");

    assertThat(pullManifest(good).statusCode()).isEqualTo(200);
    HttpResponse<String> r = pullManifest(revoked);

    assertThat(r.statusCode()).as(r.body()).isEqualTo(502);
    assertThat(r.body()).contains("the upstream's token service rejected the credentials (401)");
    upstream.verify(1, getRequestedFor(urlPathEqualTo(FakeRegistry.REALM_PATH))
        .withBasicAuth(new com.github.tomakehurst.wiremock.client.BasicCredentials(FakeRegistry.USER, "revoked-at-the-upstream")));
  }

  @Test
  void tokenRealmRedirectToAnotherOrigin_isFollowedWithoutCredentials() throws Exception {
    FakeRegistry.withTokenRealm(upstream, upstream.baseUrl(), "token-from-elsewhere").image("org/app", "1.0.0", 1, 100);
    // The realm hands the request on to a token service on another origin.
    upstream.stubFor(get(urlPathEqualTo(FakeRegistry.REALM_PATH)).atPriority(1).willReturn(aResponse().withStatus(302)
        .withHeader("Location", elsewhere.baseUrl() + "/token?service=fake-registry")));
    elsewhere.stubFor(get(urlPathEqualTo("/token")).withHeader("Authorization", absent())
        .willReturn(aResponse().withHeader("Content-Type", "application/json")
            .withBody("{\"token\":\"token-from-elsewhere\",\"expires_in\":300}")));
    ts = new TestTurnstile(dir, upstream.baseUrl());

    HttpResponse<String> r = pullManifest(ts.license("app", "1.0.0"));

    elsewhere.verify(0, anyRequestedFor(anyUrl()).withHeader("Authorization", matching(".*")));
    elsewhere.verify(1, getRequestedFor(urlPathEqualTo("/token")));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }
}
