package io.turnstile.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ChangeTest {
  @Test
  void keep_leavesTheCurrentValue() {
    assertThat(Change.<String>keep().applyTo("old")).isEqualTo("old");
    assertThat(Change.<String>keep().applyTo(null)).isNull();
    assertThat(Change.keep().keeps()).isTrue();
  }

  @Test
  void set_replacesTheCurrentValue_andIsNeverNull() {
    assertThat(Change.set("new").applyTo("old")).isEqualTo("new");
    assertThat(Change.set("new").applyTo(null)).isEqualTo("new");
    assertThat(Change.set("new").keeps()).isFalse();
    assertThatThrownBy(() -> Change.set(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void clear_removesTheCurrentValue() {
    assertThat(Change.<String>clear().applyTo("old")).isNull();
    assertThat(Change.clear().keeps()).isFalse();
  }

  @Test
  void setOrClear_readsNullAsNone() {
    assertThat(Change.setOrClear("x")).isEqualTo(Change.set("x"));
    assertThat(Change.setOrClear(null)).isEqualTo(Change.clear());
  }

  @Test
  void licensePatch_hasNoNullFields() {
    assertThat(LicensePatch.none()).isEqualTo(new LicensePatch(Change.keep(), Change.keep(), Change.keep()));
    assertThatThrownBy(() -> new LicensePatch(null, Change.keep(), Change.keep()))
        .isInstanceOf(NullPointerException.class).hasMessage("name");
  }
}
