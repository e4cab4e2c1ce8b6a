package io.turnstile.proxy.access;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestFilesTest {
  private static final String TYPE = "application/vnd.oci.image.manifest.v1+json";
  private static final byte[] BODY = "{\"schemaVersion\":2}".getBytes(StandardCharsets.UTF_8);
  private static final String DIGEST = "sha256:" + ClosureCache.sha256(BODY);

  @TempDir Path dir;

  @Test
  void aKeptManifest_isReadBackWithItsType_andOneThatNoLongerMatchesItsDigest_isDropped() throws Exception {
    ManifestFiles files = ManifestFiles.open("vendor", dir);
    assertThat(files.read(DIGEST)).isEmpty();
    files.write(DIGEST, TYPE, BODY);
    ManifestFiles.Stored stored = files.read(DIGEST).orElseThrow();
    assertThat(stored.contentType()).isEqualTo(TYPE);
    assertThat(stored.body()).isEqualTo(BODY);

    Path file = dir.resolve("sha256").resolve(DIGEST.substring(7, 9)).resolve(DIGEST.substring(7));
    Files.writeString(file, TYPE + "\n{\"schemaVersion\":3}");
    assertThat(files.read(DIGEST)).isEmpty();
    assertThat(file).doesNotExist();
  }

  @Test
  void aManifestNotNamedBySha256_orATypeWithANewline_isNotKept() throws Exception {
    ManifestFiles files = ManifestFiles.open("vendor", dir);
    files.write("sha512:" + "a".repeat(128), TYPE, BODY);
    files.write(DIGEST, TYPE + "\nX-Injected: yes", BODY);
    assertThat(files.read(DIGEST)).isEmpty();
    assertThat(files.read("sha256:../../etc/passwd")).isEmpty();
  }

  @Test
  void tagsSeen_arePerSource_replacedWhenSeenAgain_andForgottenWhenGone() throws Exception {
    ManifestFiles files = ManifestFiles.open("vendor", dir);
    Instant first = Instant.parse("2026-12-06T10:00:00Z");
    files.saw("vendor|4:user|hash|org/app", "1.0.0", DIGEST, first);
    files.saw("vendor|4:user|hash|org/app", "1.0.0", DIGEST, first.plusSeconds(60));
    files.saw("vendor|4:user|hash|org/app", "1.1.0", DIGEST, first);
    assertThat(files.seen("vendor|4:user|hash|org/app", "1.0.0"))
        .contains(new ManifestFiles.Seen("1.0.0", DIGEST, first.plusSeconds(60)));
    assertThat(files.seen("vendor|0:||org/app", "1.0.0")).as("another identity").isEmpty();
    assertThat(files.seen("vendor|4:user|hash|org/app")).extracting(ManifestFiles.Seen::tag)
        .containsExactlyInAnyOrder("1.0.0", "1.1.0");

    files.gone("vendor|4:user|hash|org/app", "1.0.0");
    assertThat(files.seen("vendor|4:user|hash|org/app", "1.0.0")).isEmpty();
    assertThat(files.seen("vendor|4:user|hash|org/app", "../1.0.0")).as("never a path").isEmpty();
    try (var names = Files.list(dir.resolve("tags"))) {
      assertThat(names.map(p -> p.getFileName().toString())).as("no credentials in file names")
          .allMatch(n -> n.matches("[0-9a-f]{64}"));
    }
  }

  @Test
  void writesACrashCutShort_areDeletedAtOpen() throws Exception {
    ManifestFiles.open("vendor", dir);
    Files.writeString(dir.resolve("tmp").resolve("part-1"), "half");
    ManifestFiles.open("vendor", dir);
    try (var left = Files.list(dir.resolve("tmp"))) {
      assertThat(left).isEmpty();
    }
  }
}
