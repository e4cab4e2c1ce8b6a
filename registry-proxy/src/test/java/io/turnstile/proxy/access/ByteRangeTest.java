package io.turnstile.proxy.access;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ByteRangeTest {
  @Test
  void oneRange_inEveryForm() {
    assertThat(ByteRange.parse("bytes=0-9", 100)).isEqualTo(new ByteRange(0, 10));
    assertThat(ByteRange.parse("bytes=90-", 100)).isEqualTo(new ByteRange(90, 10));
    assertThat(ByteRange.parse("bytes=-10", 100)).isEqualTo(new ByteRange(90, 10));
    assertThat(ByteRange.parse("bytes=95-200", 100)).as("clipped to the end").isEqualTo(new ByteRange(95, 5));
    assertThat(ByteRange.parse("bytes=-500", 100)).isEqualTo(new ByteRange(0, 100));
    assertThat(ByteRange.parse("bytes=10-19", 100).contentRange(100)).isEqualTo("bytes 10-19/100");
  }

  @Test
  void beyondTheEnd_cannotBeServed() {
    ByteRange r = ByteRange.parse("bytes=100-", 100);
    assertThat(r.satisfiable()).isFalse();
    assertThat(r.contentRange(100)).isEqualTo("bytes */100");
    assertThat(ByteRange.parse("bytes=-0", 100).satisfiable()).isFalse();
  }

  @Test
  void anythingElse_isIgnored() {
    assertThat(ByteRange.parse(null, 100)).isNull();
    assertThat(ByteRange.parse("bytes=0-1,5-6", 100)).isNull();
    assertThat(ByteRange.parse("items=0-1", 100)).isNull();
    assertThat(ByteRange.parse("bytes=9-1", 100)).isNull();
    assertThat(ByteRange.parse("bytes=x-1", 100)).isNull();
    assertThat(ByteRange.parse("bytes=-", 100)).isNull();
    // Signs are not digits: an invalid range is ignored (RFC 9110, 14.2), not refused with 416.
    assertThat(ByteRange.parse("bytes=--5", 100)).isNull();
    assertThat(ByteRange.parse("bytes=+5-10", 100)).isNull();
    assertThat(ByteRange.parse("bytes=5-+10", 100)).isNull();
    assertThat(ByteRange.parse("bytes=99999999999999999999-", 100)).isNull();
  }
}
