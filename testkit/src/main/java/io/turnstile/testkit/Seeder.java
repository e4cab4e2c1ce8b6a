package io.turnstile.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Pushes the suite's deterministic content into a registry over the plain distribution API:
 * {@code vendor/app} 1.0.0, 1.1.0, 2.0.0 and latest (= 2.0.0), {@code vendor/multi} 1.0.0 and 2.0.0
 * (OCI indexes for linux/amd64 and linux/arm64), {@code charts/app} 0.1.0 and 0.2.0 (Helm chart
 * artifacts). Layers are real tar.gz files whose diff ids are in the configs, so docker and
 * containerd unpack them. Same bytes, same digests, on every run.
 */
public final class Seeder {
  public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
  public static final String OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";
  public static final String HELM_CONFIG = "application/vnd.cncf.helm.config.v1+json";
  public static final String HELM_CHART = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";

  /** One pushed manifest: its digest and the digests it holds. */
  public record Pushed(String digest, String config, List<String> layers, Map<String, Pushed> platforms) {}

  private final HttpClient http = HttpClient.newHttpClient();
  private final String registry;
  private final String authorization;
  public final Map<String, Map<String, Pushed>> pushed = new LinkedHashMap<>();

  public Seeder(String registry, String user, String password) {
    this.registry = registry;
    this.authorization = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  public Seeder seedAll() throws Exception {
    Pushed v100 = image("vendor/app", "1.0.0", "amd64", 1);
    record("vendor/app", "1.0.0", v100);
    record("vendor/app", "1.1.0", image("vendor/app", "1.1.0", "amd64", 2));
    Pushed v200 = image("vendor/app", "2.0.0", "amd64", 3);
    record("vendor/app", "2.0.0", v200);
    putManifest("vendor/app", "latest", manifests.get(v200.digest()), OCI_MANIFEST);
    record("vendor/app", "latest", v200);
    for (String version : List.of("1.0.0", "2.0.0")) {
      Pushed amd = image("vendor/multi", null, "amd64", 10 + version.charAt(0));
      Pushed arm = image("vendor/multi", null, "arm64", 20 + version.charAt(0));
      String index = "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_INDEX + "\",\"manifests\":["
          + descriptor(OCI_MANIFEST, amd.digest(), sizes.get(amd.digest()), "amd64") + ","
          + descriptor(OCI_MANIFEST, arm.digest(), sizes.get(arm.digest()), "arm64") + "]}";
      String digest = putManifest("vendor/multi", version, index.getBytes(StandardCharsets.UTF_8), OCI_INDEX);
      Map<String, Pushed> platforms = new LinkedHashMap<>();
      platforms.put("linux/amd64", amd);
      platforms.put("linux/arm64", arm);
      record("vendor/multi", version, new Pushed(digest, null, List.of(), platforms));
    }
    for (String version : List.of("0.1.0", "0.2.0")) {
      record("charts/app", version, chart("charts/app", version));
    }
    return this;
  }

  private final Map<String, Integer> sizes = new LinkedHashMap<>();
  private final Map<String, byte[]> manifests = new LinkedHashMap<>();

  private void record(String repo, String tag, Pushed p) {
    pushed.computeIfAbsent(repo, k -> new LinkedHashMap<>()).put(tag, p);
  }

  /**
   * Pushes a new single-platform (linux/amd64) image as {@code repo:tag}, as a vendor publishes a
   * release; {@code seed} makes its layers differ from every other image's.
   */
  public Pushed release(String repo, String tag, int seed) throws Exception {
    Pushed p = image(repo, tag, "amd64", seed);
    record(repo, tag, p);
    return p;
  }

  public Pushed get(String repo, String tag) {
    return pushed.get(repo).get(tag);
  }

  private static String descriptor(String mediaType, String digest, int size, String arch) {
    return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest + "\",\"size\":" + size
        + (arch == null ? "" : ",\"platform\":{\"architecture\":\"" + arch + "\",\"os\":\"linux\"}") + "}";
  }

  private Pushed image(String repo, String tag, String arch, int seed) throws Exception {
    List<String> layers = new ArrayList<>();
    List<String> diffIds = new ArrayList<>();
    StringBuilder layerJson = new StringBuilder();
    for (int i = 0; i < 2; i++) {
      byte[] tar = tar("app/" + (i == 0 ? "version.txt" : "data.bin"),
          i == 0 ? (repo + " " + tag + " " + arch + " " + seed + "\n").getBytes(StandardCharsets.UTF_8) : random(seed * 31 + i, 64 * 1024));
      byte[] gz = gzip(tar);
      diffIds.add(sha256(tar));
      String d = putBlob(repo, gz);
      layers.add(d);
      layerJson.append(i == 0 ? "" : ",").append(descriptor(OCI_LAYER, d, gz.length, null));
    }
    String config = "{\"architecture\":\"" + arch + "\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"/app/run\"]},"
        + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + String.join("\",\"", diffIds) + "\"]},"
        + "\"history\":[{\"created_by\":\"turnstile e2e " + seed + "\"}]}";
    byte[] configBytes = config.getBytes(StandardCharsets.UTF_8);
    String configDigest = putBlob(repo, configBytes);
    byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":"
        + descriptor(OCI_CONFIG, configDigest, configBytes.length, null) + ",\"layers\":[" + layerJson + "]}")
        .getBytes(StandardCharsets.UTF_8);
    String digest = putManifest(repo, tag == null ? sha256(manifest) : tag, manifest, OCI_MANIFEST);
    sizes.put(digest, manifest.length);
    return new Pushed(digest, configDigest, layers, Map.of());
  }

  /**
   * Pushes a Helm chart {@code version} of {@code repo} and records it under its version. As Helm
   * pushes, a {@code +} in the version (semver build metadata) is written {@code _} in the tag.
   */
  public Pushed seedChart(String repo, String version) throws Exception {
    Pushed p = chart(repo, version);
    record(repo, version, p);
    return p;
  }

  private Pushed chart(String repo, String version) throws Exception {
    String chartYaml = "apiVersion: v2\nname: app\nversion: " + version + "\ndescription: Turnstile e2e chart\n";
    byte[] tgz = gzip(tar("app/Chart.yaml", chartYaml.getBytes(StandardCharsets.UTF_8)));
    String layer = putBlob(repo, tgz);
    byte[] config = ("{\"name\":\"app\",\"version\":\"" + version + "\",\"apiVersion\":\"v2\"}").getBytes(StandardCharsets.UTF_8);
    String configDigest = putBlob(repo, config);
    byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":"
        + descriptor(HELM_CONFIG, configDigest, config.length, null) + ",\"layers\":["
        + descriptor(HELM_CHART, layer, tgz.length, null) + "]}").getBytes(StandardCharsets.UTF_8);
    String digest = putManifest(repo, version.replace('+', '_'), manifest, OCI_MANIFEST);
    return new Pushed(digest, configDigest, List.of(layer), Map.of());
  }

  /**
   * An image with one incompressible layer of {@code mib} MiB, streamed from a seeded generator so
   * it never sits in memory whole.
   */
  public Pushed bigImage(String repo, String tag, int mib) throws Exception {
    long size = (long) mib << 20;
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    try (java.io.InputStream in = bigStream(size)) {
      byte[] buf = new byte[1 << 20];
      int n;
      while ((n = in.read(buf)) > 0) {
        sha.update(buf, 0, n);
      }
    }
    String layer = "sha256:" + HexFormat.of().formatHex(sha.digest());
    HttpResponse<String> start = http.send(HttpRequest.newBuilder(URI.create(registry + "/v2/" + repo + "/blobs/uploads/"))
        .header("Authorization", authorization).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
    URI location = URI.create(registry).resolve(start.headers().firstValue("Location").orElseThrow());
    String put = location + (location.getQuery() == null ? "?" : "&") + "digest=" + layer;
    HttpResponse<String> done = http.send(HttpRequest.newBuilder(URI.create(put)).header("Authorization", authorization)
        .header("Content-Type", "application/octet-stream")
        .PUT(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> bigStream(size)), size))
        .build(), HttpResponse.BodyHandlers.ofString());
    if (done.statusCode() != 201) {
      throw new IOException("big upload answered " + done.statusCode() + ": " + done.body());
    }
    byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}")
        .getBytes(StandardCharsets.UTF_8);
    String configDigest = putBlob(repo, config);
    byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":"
        + descriptor(OCI_CONFIG, configDigest, config.length, null) + ",\"layers\":["
        + "{\"mediaType\":\"application/octet-stream\",\"digest\":\"" + layer + "\",\"size\":" + size + "}]}")
        .getBytes(StandardCharsets.UTF_8);
    Pushed p = new Pushed(putManifest(repo, tag, manifest, OCI_MANIFEST), configDigest, List.of(layer), Map.of());
    record(repo, tag, p);
    return p;
  }

  /** The same bytes however the reader slices them: generated in fixed 64 KiB blocks. */
  private static java.io.InputStream bigStream(long size) {
    Random random = new Random(256);
    return new java.io.InputStream() {
      private final byte[] block = new byte[64 * 1024];
      private int pos = block.length;
      private long left = size;

      @Override
      public int read() {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (left <= 0) {
          return -1;
        }
        if (pos == block.length) {
          random.nextBytes(block);
          pos = 0;
        }
        int n = (int) Math.min(Math.min(len, block.length - pos), left);
        System.arraycopy(block, pos, b, off, n);
        pos += n;
        left -= n;
        return n;
      }
    };
  }

  public String putBlob(String repo, byte[] data) throws Exception {
    String digest = sha256(data);
    HttpResponse<String> start = http.send(HttpRequest.newBuilder(URI.create(registry + "/v2/" + repo + "/blobs/uploads/"))
        .header("Authorization", authorization).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
    if (start.statusCode() != 202) {
      throw new IOException("upload start answered " + start.statusCode() + ": " + start.body());
    }
    URI location = URI.create(registry).resolve(start.headers().firstValue("Location").orElseThrow());
    String put = location + (location.getQuery() == null ? "?" : "&") + "digest=" + digest;
    HttpResponse<String> done = http.send(HttpRequest.newBuilder(URI.create(put)).header("Authorization", authorization)
        .header("Content-Type", "application/octet-stream").PUT(HttpRequest.BodyPublishers.ofByteArray(data)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (done.statusCode() != 201) {
      throw new IOException("upload answered " + done.statusCode() + ": " + done.body());
    }
    return digest;
  }

  public String putManifest(String repo, String reference, byte[] body, String mediaType) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(registry + "/v2/" + repo + "/manifests/" + reference))
        .header("Authorization", authorization).header("Content-Type", mediaType)
        .PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 201) {
      throw new IOException("manifest push answered " + r.statusCode() + ": " + r.body());
    }
    manifests.put(sha256(body), body);
    return sha256(body);
  }

  /**
   * Pushes a single-platform image whose one layer holds {@code binary} (a static executable) as
   * {@code bin/NAME}, run with {@code args}, so that a container runtime can start it.
   */
  public Pushed runnable(String repo, String tag, java.nio.file.Path binary, String... args) throws Exception {
    String name = "bin/" + binary.getFileName();
    byte[] tar = tar(name, java.nio.file.Files.readAllBytes(binary), 0755);
    byte[] gz = gzip(tar);
    String layer = putBlob(repo, gz);
    StringBuilder cmd = new StringBuilder("\"/" + name + "\"");
    for (String a : args) {
      cmd.append(",\"").append(a).append('"');
    }
    byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[" + cmd + "]},"
        + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + sha256(tar) + "\"]}}").getBytes(StandardCharsets.UTF_8);
    String configDigest = putBlob(repo, config);
    byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":"
        + descriptor(OCI_CONFIG, configDigest, config.length, null) + ",\"layers\":["
        + descriptor(OCI_LAYER, layer, gz.length, null) + "]}").getBytes(StandardCharsets.UTF_8);
    String digest = putManifest(repo, tag, manifest, OCI_MANIFEST);
    Pushed p = new Pushed(digest, configDigest, List.of(layer), Map.of());
    record(repo, tag, p);
    return p;
  }

  public static byte[] tar(String name, byte[] content) throws IOException {
    return tar(name, content, 0644);
  }

  /** A tar of {@code name} (one directory deep) holding {@code content} with file mode {@code mode}. */
  public static byte[] tar(String name, byte[] content, int mode) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
      TarArchiveEntry dirEntry = new TarArchiveEntry(name.substring(0, name.indexOf('/') + 1));
      dirEntry.setModTime(0);
      dirEntry.setMode(0755 | 040000);
      tar.putArchiveEntry(dirEntry);
      tar.closeArchiveEntry();
      TarArchiveEntry e = new TarArchiveEntry(name);
      e.setSize(content.length);
      e.setModTime(0);
      e.setMode(mode);
      tar.putArchiveEntry(e);
      tar.write(content);
      tar.closeArchiveEntry();
    }
    return out.toByteArray();
  }

  public static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }

  public static byte[] random(long seed, int size) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  public static String sha256(byte[] data) {
    try {
      return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
