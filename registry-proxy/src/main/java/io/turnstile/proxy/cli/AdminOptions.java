package io.turnstile.proxy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.turnstile.proxy.server.Json;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.SSLException;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** Where the admin API is and how to talk to it; shared by every admin command. */
public final class AdminOptions {
  @Option(scope = ScopeType.INHERIT, names = "--admin-url", description = "Admin API base URL (env TURNSTILE_ADMIN_URL; default ${DEFAULT-VALUE})",
      defaultValue = "${env:TURNSTILE_ADMIN_URL:-http://127.0.0.1:9091}")
  String adminUrl;

  @Option(scope = ScopeType.INHERIT, names = "--admin-ca", paramLabel = "FILE",
      description = "PEM file of the CA that issued the admin API's certificate, for an https --admin-url with a"
          + " private CA (env TURNSTILE_ADMIN_CA; default: the JDK's trusted CAs)",
      defaultValue = "${env:TURNSTILE_ADMIN_CA}")
  Path adminCa;

  @Option(scope = ScopeType.INHERIT, names = "--admin-token-file",
      description = "File holding the admin token or a personal API token (tsa_...); default: env TURNSTILE_ADMIN_TOKEN."
          + " Changes are recorded under the token's name, never a name the CLI chooses.")
  Path tokenFile;

  @Option(scope = ScopeType.INHERIT, names = {"-o", "--output"}, description = "table (default) or json", defaultValue = "table")
  String output;

  private final ObjectMapper json = Json.mapper();

  ObjectMapper json() {
    return json;
  }

  boolean jsonOutput() {
    if (!output.equals("json") && !output.equals("table")) {
      throw new CliException("--output must be table or json");
    }
    return output.equals("json");
  }

  private String token() {
    if (tokenFile != null) {
      try {
        return Files.readString(tokenFile).strip();
      } catch (IOException e) {
        throw new CliException("cannot read " + tokenFile + ": " + e.getMessage());
      }
    }
    String t = System.getenv("TURNSTILE_ADMIN_TOKEN");
    if (t == null || t.isBlank()) {
      throw new CliException("set TURNSTILE_ADMIN_TOKEN (or pass --admin-token-file) to call the admin API");
    }
    return t;
  }

  private HttpClient client(URI uri) {
    HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
    if (adminCa != null && "https".equalsIgnoreCase(uri.getScheme())) {
      b.sslContext(PemTrust.of("--admin-ca", adminCa));
    }
    return b.build();
  }

  /** Calls the admin API; a non-2xx answer becomes a {@link CliException} with the API's message. */
  JsonNode call(String method, String path, Object body) {
    byte[] answer = send(method, path, body, "application/json");
    try {
      return answer.length == 0 ? json.createObjectNode() : json.readTree(answer);
    } catch (IOException e) {
      throw new CliException("admin API call failed: " + e.getMessage(), 2);
    }
  }

  /** A GET of {@code path} answered as text of type {@code accept}, e.g. {@code text/csv}. */
  String text(String path, String accept) {
    return new String(send("GET", path, null, accept), java.nio.charset.StandardCharsets.UTF_8);
  }

  /**
   * GETs {@code path} (a large binary answer, an air-gap bundle) into {@code file} as it arrives,
   * from {@code from} bytes on (a {@code Range}, to finish a cut download; 0 for all of it).
   *
   * @return the bytes written
   */
  long download(String path, Path file, long from) {
    String base = adminUrl.endsWith("/") ? adminUrl.substring(0, adminUrl.length() - 1) : adminUrl;
    URI uri = URI.create(base + "/admin/v1/" + path);
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(5))
        .header("Authorization", "Bearer " + token()).GET();
    if (from > 0) {
      b.header("Range", "bytes=" + from + "-");
    }
    try {
      HttpResponse<java.io.InputStream> r = client(uri).send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
      try (java.io.InputStream in = r.body()) {
        if (r.statusCode() != 200 && r.statusCode() != 206) {
          String message = "HTTP " + r.statusCode();
          try {
            JsonNode error = json.readTree(in.readAllBytes());
            message = error.path("error").asText(error.path("errors").path(0).path("message").asText(message));
          } catch (IOException notJson) {
            // keep the status
          }
          throw new CliException(message + (r.statusCode() == 401 ? " (check TURNSTILE_ADMIN_TOKEN)" : ""));
        }
        boolean append = r.statusCode() == 206;
        try (java.io.OutputStream out = Files.newOutputStream(file, append
            ? new java.nio.file.OpenOption[] {java.nio.file.StandardOpenOption.APPEND}
            : new java.nio.file.OpenOption[] {java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.TRUNCATE_EXISTING, java.nio.file.StandardOpenOption.WRITE})) {
          long n = in.transferTo(out);
          long expected = r.headers().firstValueAsLong("Content-Length").orElse(n);
          if (n != expected) {
            throw new CliException("the download was cut short after " + n + " of " + expected
                + " bytes; run again with --continue to finish it", 2);
          }
          return n;
        }
      }
    } catch (ConnectException e) {
      throw new CliException("cannot reach the admin API at " + base + " (is 'turnstile serve' running?)", 2);
    } catch (IOException e) {
      throw new CliException("download failed: " + e.getMessage() + "; run again with --continue to finish it", 2);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException("interrupted", 2);
    }
  }

  private byte[] send(String method, String path, Object body, String accept) {
    String base = adminUrl.endsWith("/") ? adminUrl.substring(0, adminUrl.length() - 1) : adminUrl;
    URI uri;
    try {
      uri = URI.create(base + "/admin/v1/" + path);
    } catch (IllegalArgumentException e) {
      throw new CliException("--admin-url: " + e.getMessage());
    }
    HttpRequest.Builder b = HttpRequest.newBuilder(uri)
        .timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + token())
        .header("Accept", accept);
    if (!method.equals("GET")) {
      // One key per write: should this request be sent again (by a proxy, or by hand with the same
      // key), Turnstile applies it once.
      b.header("Idempotency-Key", java.util.UUID.randomUUID().toString());
    }
    try {
      if (body == null) {
        b.method(method, HttpRequest.BodyPublishers.noBody());
      } else {
        b.header("Content-Type", "application/json")
            .method(method, HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body)));
      }
      HttpResponse<byte[]> r = client(uri).send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      if (r.statusCode() / 100 != 2) {
        String message = "HTTP " + r.statusCode();
        try {
          message = json.readTree(r.body()).path("error").asText(message);
        } catch (IOException notJson) {
          // keep the status
        }
        throw new CliException(message + (r.statusCode() == 401 ? " (check TURNSTILE_ADMIN_TOKEN)" : ""));
      }
      return r.body();
    } catch (ConnectException e) {
      throw new CliException("cannot reach the admin API at " + base + " (is 'turnstile serve' running?)", 2);
    } catch (SSLException e) {
      throw new CliException("TLS with the admin API at " + base + " failed: " + e.getMessage()
          + (adminCa == null ? " (for a private CA, pass --admin-ca FILE or set TURNSTILE_ADMIN_CA)" : ""), 2);
    } catch (IOException e) {
      throw new CliException("admin API call failed: " + e.getMessage(), 2);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException("interrupted", 2);
    }
  }
}
