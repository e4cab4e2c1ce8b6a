package io.turnstile.proxy.testing;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.head;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;

import com.github.tomakehurst.wiremock.client.MappingBuilder;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

/**
 * A registry made of WireMock stubs with real, content-addressed manifests and blobs: enough of
 * the distribution API for the proxy to resolve tags, walk manifests and stream blobs. Every stub
 * demands the upstream's credentials: Basic, or a Bearer token from a token realm that hands it
 * out for the upstream's Basic credentials only ({@link #withTokenRealm}).
 */
public final class FakeRegistry {
  public static final String USER = "vendor";
  public static final String PASSWORD = "vendor-secret";
  public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  /** Where {@link #withTokenRealm} serves its tokens. */
  public static final String REALM_PATH = "/auth";

  private final WireMockExtension wm;
  private final String bearer;
  private int seed;

  public FakeRegistry(WireMockExtension wm) {
    this(wm, "Basic realm=\"fake\"", null);
  }

  private FakeRegistry(WireMockExtension wm, String challenge, String bearer) {
    this.wm = wm;
    this.bearer = bearer;
    wm.stubFor(any(anyUrl()).atPriority(10).willReturn(aResponse().withStatus(401)
        .withHeader("WWW-Authenticate", challenge)
        .withBody("{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}")));
  }

  /**
   * A registry that wants {@code Bearer token}, from a token realm at {@code realmBaseUrl} +
   * {@link #REALM_PATH} (served by {@code wm} too) that gives it to {@link #USER}:{@link #PASSWORD}
   * only and answers 401 to anyone else.
   */
  public static FakeRegistry withTokenRealm(WireMockExtension wm, String realmBaseUrl, String token) {
    FakeRegistry r = new FakeRegistry(wm,
        "Bearer realm=\"" + realmBaseUrl + REALM_PATH + "\",service=\"fake-registry\"", token);
    wm.stubFor(get(urlPathEqualTo(REALM_PATH)).atPriority(5).willReturn(aResponse().withStatus(401)
        .withBody("{\"details\":\"incorrect username or password\"}")));
    wm.stubFor(get(urlPathEqualTo(REALM_PATH)).atPriority(1).withBasicAuth(USER, PASSWORD)
        .withQueryParam("service", equalTo("fake-registry"))
        .willReturn(aResponse().withHeader("Content-Type", "application/json")
            .withBody("{\"token\":\"" + token + "\",\"expires_in\":300}")));
    return r;
  }

  /** The registry's credential check on a stub. */
  private MappingBuilder authed(MappingBuilder stub) {
    return bearer == null ? stub.withBasicAuth(USER, PASSWORD)
        : stub.withHeader("Authorization", equalTo("Bearer " + bearer));
  }

  /** A pushed image: its manifest and blob digests. */
  public record Image(String digest, String config, List<String> layers, byte[] manifest, String mediaType) {}

  public static String sha256(byte[] data) {
    try {
      return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public byte[] bytes(int size) {
    byte[] b = new byte[size];
    new Random(++seed).nextBytes(b);
    return b;
  }

  /** An image with {@code layers} random layers of {@code size} bytes, tagged {@code tag} (or untagged: null). */
  public Image image(String repo, String tag, int layers, int size) {
    byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"seed\":" + (++seed) + "}").getBytes(StandardCharsets.UTF_8);
    String configDigest = blob(repo, config);
    List<String> layerDigests = new ArrayList<>();
    StringBuilder layerJson = new StringBuilder();
    for (int i = 0; i < layers; i++) {
      byte[] data = bytes(size);
      String d = blob(repo, data);
      layerDigests.add(d);
      layerJson.append(i == 0 ? "" : ",").append("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"")
          .append(d).append("\",\"size\":").append(size).append('}');
    }
    String manifest = "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":{\"mediaType\":"
        + "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + configDigest + "\",\"size\":" + config.length
        + "},\"layers\":[" + layerJson + "]}";
    byte[] body = manifest.getBytes(StandardCharsets.UTF_8);
    String digest = manifest(repo, tag, body, OCI_MANIFEST);
    return new Image(digest, configDigest, layerDigests, body, OCI_MANIFEST);
  }

  /** An image index over {@code children}. */
  public Image index(String repo, String tag, Image... children) {
    StringBuilder entries = new StringBuilder();
    for (int i = 0; i < children.length; i++) {
      entries.append(i == 0 ? "" : ",").append("{\"mediaType\":\"").append(children[i].mediaType())
          .append("\",\"digest\":\"").append(children[i].digest()).append("\",\"size\":").append(children[i].manifest().length)
          .append(",\"platform\":{\"architecture\":\"arch").append(i).append("\",\"os\":\"linux\"}}");
    }
    byte[] body = ("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_INDEX + "\",\"manifests\":[" + entries + "]}")
        .getBytes(StandardCharsets.UTF_8);
    return new Image(manifest(repo, tag, body, OCI_INDEX), null, List.of(), body, OCI_INDEX);
  }

  /** Stubs a manifest by digest and, if {@code tag} is not null, by tag. Returns its digest. */
  public String manifest(String repo, String tag, byte[] body, String mediaType) {
    String digest = sha256(body);
    for (String ref : tag == null ? List.of(digest) : List.of(digest, tag)) {
      String path = "/v2/" + repo + "/manifests/" + ref;
      wm.stubFor(authed(get(urlPathEqualTo(path))).willReturn(aResponse()
          .withHeader("Content-Type", mediaType).withHeader("Docker-Content-Digest", digest).withBody(body)));
      wm.stubFor(authed(head(urlPathEqualTo(path))).willReturn(aResponse()
          .withHeader("Content-Type", mediaType).withHeader("Docker-Content-Digest", digest)
          .withHeader("Content-Length", String.valueOf(body.length))));
    }
    return digest;
  }

  /**
   * {@code tag} is not in {@code repo} (yet): 404 {@code MANIFEST_UNKNOWN}, as distribution answers.
   * A manifest stubbed for it later wins.
   */
  public void missing(String repo, String tag) {
    String path = "/v2/" + repo + "/manifests/" + tag;
    String body = "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}";
    wm.stubFor(authed(get(urlPathEqualTo(path))).willReturn(aResponse().withStatus(404)
        .withHeader("Content-Type", "application/json").withBody(body)));
    wm.stubFor(authed(head(urlPathEqualTo(path))).willReturn(aResponse().withStatus(404)));
  }

  /**
   * Anything not stubbed, asked with the registry's credentials, is not there (404), as a registry
   * without it answers: signature tags never pushed, a referrers API with nothing to list.
   */
  public void unknownIsNotFound() {
    wm.stubFor(authed(any(anyUrl())).atPriority(9).willReturn(aResponse().withStatus(404)
        .withHeader("Content-Type", "application/json")
        .withBody("{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}")));
  }

  /** Stubs a blob and returns its digest. */
  public String blob(String repo, byte[] data) {
    String digest = sha256(data);
    wm.stubFor(authed(get(urlPathEqualTo("/v2/" + repo + "/blobs/" + digest)))
        .willReturn(aResponse().withHeader("Content-Type", "application/octet-stream")
            .withHeader("Docker-Content-Digest", digest).withBody(data)));
    wm.stubFor(authed(head(urlPathEqualTo("/v2/" + repo + "/blobs/" + digest)))
        .willReturn(aResponse().withHeader("Content-Type", "application/octet-stream")
            .withHeader("Content-Length", String.valueOf(data.length)).withHeader("Docker-Content-Digest", digest)));
    return digest;
  }

  /** Stubs the tag list of {@code repo}. */
  public void tags(String repo, String... tags) {
    StringBuilder list = new StringBuilder();
    for (int i = 0; i < tags.length; i++) {
      list.append(i == 0 ? "" : ",").append('"').append(tags[i]).append('"');
    }
    wm.stubFor(authed(get(urlPathEqualTo("/v2/" + repo + "/tags/list")))
        .willReturn(aResponse().withHeader("Content-Type", "application/json")
            .withBody("{\"name\":\"" + repo + "\",\"tags\":[" + list + "]}")));
  }
}
