package io.turnstile.proxy.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;

class BundleLayoutTest {
  private static final String DIGEST = "sha256:" + "ab".repeat(32);

  @Test
  void everyOffset_mapsToTheSegmentHoldingIt_andTheLengthIsWholeBlocks() {
    BundleLayout layout = new BundleLayout.Builder().file("oci-layout", "{}".getBytes(StandardCharsets.UTF_8))
        .directory("blobs").blob(new BundleBlob(DIGEST, 1000, null)).build();
    // header + 2 bytes + padding, directory header, blob header + 1000 + padding, two zero blocks
    assertThat(layout.length()).isEqualTo(512 + 512 + 512 + 512 + 1024 + 1024);
    for (long at = 0; at < layout.length(); at++) {
      int i = layout.segmentAt(at);
      assertThat(at).isBetween(layout.start(i), layout.start(i) + layout.segment(i).size() - 1);
    }
    int blob = layout.segmentAt(512 * 4);
    assertThat(layout.segment(blob)).isInstanceOf(BundleLayout.Streamed.class);
    assertThat(layout.start(blob)).isEqualTo(2048);
  }

  @Test
  void heldBytes_readBackAsATar_withNoOwnerOrTime() throws Exception {
    BundleLayout layout = new BundleLayout.Builder().file("index.json", "{\"a\":1}".getBytes(StandardCharsets.UTF_8))
        .build();
    java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
    for (int i = 0; i < layout.segments(); i++) {
      all.write(((BundleLayout.Inline) layout.segment(i)).bytes());
    }
    try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(all.toByteArray()))) {
      TarArchiveEntry e = in.getNextEntry();
      assertThat(e.getName()).isEqualTo("index.json");
      assertThat(e.getUserName()).isEmpty();
      assertThat(e.getLastModifiedDate().getTime()).isZero();
      assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("{\"a\":1}");
    }
  }

  @Test
  void aBlobOfMoreThan8GiB_getsABase256Size_thatTarReadersTakeBack() throws Exception {
    long size = 20L << 30;
    BundleLayout layout = new BundleLayout.Builder().blob(new BundleBlob(DIGEST, size, null)).build();
    byte[] header = ((BundleLayout.Inline) layout.segment(0)).bytes();
    TarArchiveEntry e = new TarArchiveEntry(header);
    assertThat(e.getSize()).isEqualTo(size);
    assertThat(e.getName()).isEqualTo("blobs/sha256/" + "ab".repeat(32));
    assertThat(layout.length()).isEqualTo(512 + size + 1024);
  }

  @Test
  void aDigestThatCannotNameAFile_isRefused() {
    assertThatThrownBy(() -> new BundleBlob("sha256:../../etc/passwd", 1, null)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new BundleBlob("sha512:" + "ab".repeat(64), 1, null)).isInstanceOf(IllegalArgumentException.class);
    assertThat(BundleBlob.isNameable(DIGEST)).isTrue();
  }

  @Test
  void sameContent_sameEtag_otherContent_otherEtag() {
    String a = new BundleLayout.Builder().blob(new BundleBlob(DIGEST, 10, null)).build().etag();
    String b = new BundleLayout.Builder().blob(new BundleBlob(DIGEST, 10, null)).build().etag();
    String c = new BundleLayout.Builder().blob(new BundleBlob(DIGEST, 11, null)).build().etag();
    assertThat(a).isEqualTo(b).isNotEqualTo(c);
  }
}
