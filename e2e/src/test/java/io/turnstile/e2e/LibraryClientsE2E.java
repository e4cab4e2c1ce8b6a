package io.turnstile.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainerBuilder;
import com.google.api.client.http.HttpResponseException;
import com.google.cloud.tools.jib.api.RegistryAuthenticationFailedException;
import com.google.cloud.tools.jib.api.RegistryImage;
import com.google.cloud.tools.jib.api.RegistryUnauthorizedException;
import com.google.cloud.tools.jib.api.TarImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.Platform;
import io.turnstile.testkit.Seeder;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import land.oras.ArtifactType;
import land.oras.Annotations;
import land.oras.Config;
import land.oras.ContainerRef;
import land.oras.LocalPath;
import land.oras.Manifest;
import land.oras.Registry;
import land.oras.exception.OrasException;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Clients that are libraries, in this JVM: Jib (jib-core) building an image on a licensed base
 * image, and the ORAS Java SDK pulling artifacts. Turnstile listens on plain HTTP here: Jib is
 * allowed insecure registries and to send credentials over HTTP ({@code sendCredentialsOverHttp}),
 * the ORAS registry is built insecure.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LibraryClientsE2E {
  private static final String NOTES = "release notes of 3.0.0\n";
  private ClientStack stack;
  private ClientStack.Login license;
  private String previousSendCredentialsOverHttp;

  @BeforeAll
  void start() throws Exception {
    previousSendCredentialsOverHttp = System.setProperty("sendCredentialsOverHttp", "true");
    stack = ClientStack.start("libraries");
    // An artifact as ORAS tooling pushes one (a file with its title), pushed straight to the upstream.
    Path notes = Files.writeString(stack.dir.resolve("NOTES.txt"), NOTES);
    Registry vendor = Registry.builder().defaults("vendor", "vendor-secret").withInsecure(true).build();
    vendor.pushArtifact(ContainerRef.parse(stack.upstream.url().substring("http://".length()) + "/vendor/app:3.0.0"),
        ArtifactType.from("application/vnd.turnstile.e2e.notes"), Annotations.empty(), Config.empty(),
        LocalPath.of(notes, "text/plain"));
    license = stack.license("app", "1.0.0", "3.0.0", "0.1.0");
  }

  @AfterAll
  void stop() {
    if (stack != null) stack.close();
    if (previousSendCredentialsOverHttp == null) {
      System.clearProperty("sendCredentialsOverHttp");
    } else {
      System.setProperty("sendCredentialsOverHttp", previousSendCredentialsOverHttp);
    }
  }

  // ---- Jib ----

  /** Builds an image on {@code base} with {@code login}'s credentials into a tarball; its entries' names. */
  private List<String> jibBuild(ClientStack.Login login, String base, Platform platform) throws Exception {
    Path work = Files.createTempDirectory(stack.dir, "jib");
    Path app = Files.writeString(work.resolve("hello.txt"), "hello");
    JibContainerBuilder builder = Jib.from(RegistryImage.named(stack.ref(base)).addCredential(login.username(), login.key()))
        .addLayer(List.of(app), AbsoluteUnixPath.get("/app"));
    if (platform != null) {
      builder.setPlatforms(Set.of(platform));
    }
    Path tar = work.resolve("image.tar");
    builder.containerize(Containerizer.to(TarImage.at(tar).named("built:1"))
        .setAllowInsecureRegistries(true)
        .setBaseImageLayersCache(work.resolve("base-cache"))
        .setApplicationLayersCache(work.resolve("app-cache")));
    List<String> names = new ArrayList<>();
    try (InputStream in = Files.newInputStream(tar); TarArchiveInputStream entries = new TarArchiveInputStream(in)) {
      for (TarArchiveEntry e = entries.getNextEntry(); e != null; e = entries.getNextEntry()) {
        names.add(e.getName());
      }
    }
    return names;
  }

  /** The tarball's layer files of {@code base}'s layers (Jib names them by digest). */
  private static String[] layerFiles(Seeder.Pushed base) {
    return base.layers().stream().map(d -> d.substring("sha256:".length()) + ".tar.gz").toArray(String[]::new);
  }

  @Test
  @Order(1)
  void jib_licenseKey_buildsOnAGrantedBaseImage() throws Exception {
    List<String> tar = jibBuild(license, "vendor/app:1.0.0", null);
    assertThat(tar).contains(layerFiles(stack.content.get("vendor/app", "1.0.0")));
  }

  @Test
  @Order(2)
  void jib_customerKey_buildsOnOnePlatformOfAMultiArchBase() throws Exception {
    stack.license("multi", "1.0.0");
    List<String> tar = jibBuild(stack.customerKey, "vendor/multi:1.0.0", new Platform("arm64", "linux"));
    assertThat(tar).contains(layerFiles(stack.content.get("vendor/multi", "1.0.0").platforms().get("linux/arm64")));
  }

  @Test
  @Order(3)
  void jib_anUngrantedBaseImage_isRefused() {
    Throwable t = catchThrowable(() -> jibBuild(license, "vendor/app:2.0.0", null));
    // Jib says "Unauthorized" for a 403 too; the answer it keeps has Turnstile's reason.
    assertThat(t).isInstanceOf(RegistryUnauthorizedException.class)
        .hasMessage("Unauthorized for " + stack.ref("vendor/app"));
    HttpResponseException answer = ((RegistryUnauthorizedException) t).getHttpResponseException();
    assertThat(answer.getStatusCode()).isEqualTo(403);
    assertThat(answer.getContent()).contains("your license does not grant tag 2.0.0 of vendor/app");
  }

  @Test
  @Order(4)
  void jib_aLicenseRevokedBetweenBuilds_isRefused() throws Exception {
    ClientStack.Login revoked = stack.license("app", "1.0.0");
    jibBuild(revoked, "vendor/app:1.0.0", null);
    stack.revoke(revoked);
    Throwable t = catchThrowable(() -> jibBuild(revoked, "vendor/app:1.0.0", null));
    // Jib shows the token endpoint's answer whole.
    assertThat(t).isInstanceOf(RegistryAuthenticationFailedException.class)
        .hasMessageStartingWith("Failed to authenticate with registry " + stack.ref("vendor/app") + " because: 401 Unauthorized")
        .hasMessageContaining("\"message\":\"the license has been revoked\"");
  }

  // ---- ORAS Java SDK ----

  private Registry oras(ClientStack.Login login) {
    return Registry.builder().defaults(login.username(), login.key()).withInsecure(true).build();
  }

  @Test
  @Order(5)
  void orasSdk_licenseKey_pullsAGrantedArtifact() throws Exception {
    Path out = Files.createTempDirectory(stack.dir, "oras");
    oras(license).pullArtifact(ContainerRef.parse(stack.ref("vendor/app:3.0.0")), out, true);
    assertThat(out.resolve("NOTES.txt")).hasContent(NOTES);
  }

  @Test
  @Order(6)
  void orasSdk_customerKey_fetchesAGrantedChart() throws Exception {
    Registry registry = oras(stack.customerKey);
    Seeder.Pushed chart = stack.content.get("charts/app", "0.1.0");
    ContainerRef ref = ContainerRef.parse(stack.ref("charts/app:0.1.0"));
    Manifest manifest = registry.getManifest(ref);
    assertThat(manifest.getDescriptor().getDigest()).isEqualTo(chart.digest());
    assertThat(manifest.getLayers()).extracting(l -> l.getDigest()).containsExactly(chart.layers().get(0));
    // fetchBlob, not getBlob: getBlob reads the answer as text, which mangles a binary blob.
    Path tgz = stack.dir.resolve("oras-chart.tgz");
    registry.fetchBlob(ref.withDigest(chart.layers().get(0)), tgz);
    assertThat(Seeder.sha256(Files.readAllBytes(tgz))).isEqualTo(chart.layers().get(0));
  }

  @Test
  @Order(7)
  void orasSdk_anUngrantedVersion_isRefused() {
    // The SDK answers any 401 or 403 by asking for a new token, and finds no challenge on a 403.
    for (ThrowingCallable refused : List.<ThrowingCallable>of(
        () -> oras(license).getManifest(ContainerRef.parse(stack.ref("vendor/app:2.0.0"))),
        () -> oras(license).pullArtifact(ContainerRef.parse(stack.ref("charts/app:0.2.0")),
            Files.createTempDirectory(stack.dir, "oras"), true))) {
      Throwable t = catchThrowable(refused);
      assertThat(t).isInstanceOf(OrasException.class).hasMessage("No WWW-Authenticate header found in response");
      assertThat(((OrasException) t).getStatusCode()).isEqualTo(403);
    }
  }

  @Test
  @Order(8)
  void orasSdk_aLicenseRevokedWhileInUse_isRefusedOnTheNextPull() throws Exception {
    ClientStack.Login revoked = stack.license("app", "3.0.0");
    Registry registry = oras(revoked);
    ContainerRef ref = ContainerRef.parse(stack.ref("vendor/app:3.0.0"));
    registry.pullArtifact(ref, Files.createTempDirectory(stack.dir, "oras"), true);
    stack.revoke(revoked);
    Throwable t = catchThrowable(() -> registry.pullArtifact(ref, Files.createTempDirectory(stack.dir, "oras"), true));
    // A 401 with a Bearer challenge, then the token endpoint's 401 with its Basic challenge, which
    // the SDK does not take for one of its own.
    assertThat(t).isInstanceOf(OrasException.class).hasMessage("Invalid WWW-Authenticate header");
    assertThat(((OrasException) t).getStatusCode()).isEqualTo(401);
  }
}
