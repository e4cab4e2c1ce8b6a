package io.turnstile.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class VersionOrderTest {
  @Test
  void semanticVersionsSortByPrecedenceBeforeAnythingElse() {
    List<String> versions = new ArrayList<>(List.of("latest", "1.10.0", "1.2.0", "2.0.0-rc.1", "2.0.0", "edge"));
    versions.sort(VersionOrder.ASCENDING);
    assertThat(versions).containsExactly("1.2.0", "1.10.0", "2.0.0-rc.1", "2.0.0", "edge", "latest");
  }

  @Test
  void newestFirstIsTheReverseAndTagSpelledBuildMetadataCounts() {
    List<String> versions = new ArrayList<>(List.of("1.0.0", "1.0.0_b2", "1.0.0_b1", "0.9.0", "nightly"));
    versions.sort(VersionOrder.NEWEST_FIRST);
    assertThat(versions).containsExactly("1.0.0_b2", "1.0.0_b1", "1.0.0", "0.9.0", "nightly");
  }
}
