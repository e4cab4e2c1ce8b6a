package io.turnstile.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class CacheConfigTest {
  @Test
  void defaults_watchTagsEveryFiveMinutes() {
    CacheConfig c = CacheConfig.defaults();
    assertThat(c.tagTtl()).isEqualTo(Duration.ofSeconds(60));
    assertThat(c.tagWatch()).isEqualTo(Duration.ofMinutes(5));
  }

  @Test
  void tagWatch_zeroTurnsItOff_andOutOfRangeIsRefusedNamingIt() {
    assertThat(new CacheConfig(null, null, Duration.ZERO).tagWatch()).isZero();
    assertThatThrownBy(() -> new CacheConfig(null, null, Duration.ofSeconds(-1)))
        .isInstanceOfSatisfying(InvalidValueException.class, e -> assertThat(e.field()).isEqualTo("tagWatch"));
    assertThatThrownBy(() -> new CacheConfig(null, null, Duration.ofHours(25)))
        .isInstanceOfSatisfying(InvalidValueException.class, e -> assertThat(e.field()).isEqualTo("tagWatch"));
  }
}
