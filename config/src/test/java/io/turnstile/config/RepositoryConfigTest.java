package io.turnstile.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class RepositoryConfigTest {
  private final RepositoryConfig repo =
      new RepositoryConfig("vendor/app", "up", null, List.of("{version}", "v{version}", "{version}-debug"));

  @Test
  void versionGrantsEveryTemplate() {
    assertThat(repo.tagsFor("1.0.0")).containsExactly("1.0.0", "v1.0.0", "1.0.0-debug");
  }

  @Test
  void helmBuildMetadata_plusBecomesUnderscore() {
    assertThat(repo.tagsFor("1.0.0+build.5")).contains("1.0.0_build.5");
  }

  @Test
  void tagReadsBackToCandidateVersions() {
    assertThat(repo.versionsOf("v1.0.0")).contains("1.0.0");
    assertThat(repo.versionsOf("1.0.0-debug")).contains("1.0.0");
    assertThat(repo.versionsOf("v")).containsExactly("v");
  }

  @Test
  void repositoryDefaultsToName() {
    assertThat(repo.repository()).isEqualTo("vendor/app");
  }
}
