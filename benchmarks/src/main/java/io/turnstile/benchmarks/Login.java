package io.turnstile.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.turnstile.testkit.TurnstileProcess;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * A user name and password a benchmark client presents: the vendor's own login at the upstream, or
 * a license's at a Turnstile. Written as the header line {@code curl} and {@code hey} take, as
 * skopeo's {@code user:password}, or exchanged at a Turnstile's {@code /token} for a Bearer token.
 * Tokens expire, so a section that runs long asks for a fresh one rather than keeping the first.
 */
record Login(String user, String password) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A new customer "Bench" on {@code t} with a license for application {@code app} at {@code versions}. */
  static Login license(TurnstileProcess t, String... versions) {
    String customer = t.cli("customer", "create", "--name", "Bench").get("id").asText();
    List<String> args = new ArrayList<>(List.of("license", "create", "--customer", customer, "--application", "app"));
    for (String v : versions) {
      args.addAll(List.of("--version", v));
    }
    JsonNode license = t.cli(args.toArray(String[]::new));
    return new Login(license.get("id").asText(), license.get("key").asText());
  }

  /** {@code user:password}, as skopeo's {@code --src-creds} takes it. */
  String pair() {
    return user + ":" + password;
  }

  /** The {@code Authorization} header line for Basic auth. */
  String basic() {
    return "Authorization: " + basicCredentials();
  }

  /** The {@code Authorization} header line with a token {@code t} issues to this login for {@code scope}. */
  String bearer(TurnstileProcess t, String scope) {
    try {
      HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(t.url()
          + "/token?service=turnstile&scope=" + URLEncoder.encode(scope, StandardCharsets.UTF_8)))
          .header("Authorization", basicCredentials()).build(), HttpResponse.BodyHandlers.ofString());
      return "Authorization: Bearer " + JSON.readTree(r.body()).get("token").asText();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private String basicCredentials() {
    return "Basic " + Base64.getEncoder().encodeToString(pair().getBytes(StandardCharsets.UTF_8));
  }
}
