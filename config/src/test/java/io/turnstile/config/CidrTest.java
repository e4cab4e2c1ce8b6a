package io.turnstile.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class CidrTest {
  private static InetAddress ip(String text) throws Exception {
    return InetAddress.getByName(text);
  }

  @Test
  void ipv4Block_containsItsAddressesOnly() throws Exception {
    Cidr c = Cidr.parse("10.1.0.0/16");
    assertThat(c.contains(ip("10.1.0.0"))).isTrue();
    assertThat(c.contains(ip("10.1.255.254"))).isTrue();
    assertThat(c.contains(ip("10.2.0.1"))).isFalse();
    assertThat(c.contains(ip("::ffff:10.1.2.3"))).as("IPv4-mapped IPv6").isTrue();
    assertThat(c.contains(ip("fd00::1"))).isFalse();
    assertThat(c.contains(null)).isFalse();
  }

  @Test
  void ipv6Block_containsItsAddressesOnly() throws Exception {
    Cidr c = Cidr.parse("2001:db8:10::/48");
    assertThat(c.contains(ip("2001:db8:10:ffff::1"))).isTrue();
    assertThat(c.contains(ip("2001:db8:11::1"))).isFalse();
    assertThat(c.contains(ip("10.0.0.1"))).isFalse();
  }

  @Test
  void prefixNotOnAByteBoundary_masksTheRightBits() throws Exception {
    Cidr c = Cidr.parse("192.0.2.64/27");
    assertThat(c.contains(ip("192.0.2.64"))).isTrue();
    assertThat(c.contains(ip("192.0.2.95"))).isTrue();
    assertThat(c.contains(ip("192.0.2.96"))).isFalse();
    assertThat(c.contains(ip("192.0.2.63"))).isFalse();
  }

  @Test
  void singleAddress_isAWholePrefix() throws Exception {
    assertThat(Cidr.parse("192.0.2.7")).hasToString("192.0.2.7/32");
    assertThat(Cidr.parse("::1")).hasToString("0:0:0:0:0:0:0:1/128");
    assertThat(Cidr.parse("0.0.0.0/0").contains(ip("203.0.113.9"))).isTrue();
  }

  @Test
  void hostNames_areNeverLookedUp() {
    assertThatThrownBy(() -> Cidr.parse("localhost")).hasMessageContaining("not an IP address");
    assertThatThrownBy(() -> Cidr.parse("proxy.example.com/32")).hasMessageContaining("not an IP address");
    assertThatThrownBy(() -> Cidr.parse("10.0.0")).hasMessageContaining("not an IP address");
    assertThatThrownBy(() -> Cidr.parse("256.0.0.1")).hasMessageContaining("not an IP address");
  }

  @Test
  void badPrefixes_areRejected() {
    assertThatThrownBy(() -> Cidr.parse("10.0.0.0/33")).hasMessageContaining("at most 32");
    assertThatThrownBy(() -> Cidr.parse("fd00::/129")).hasMessageContaining("at most 128");
    assertThatThrownBy(() -> Cidr.parse("10.0.0.0/x")).hasMessageContaining("no numeric prefix");
    assertThatThrownBy(() -> Cidr.parse("10.0.0.5/8")).hasMessageContaining("write 10.0.0.0/8");
  }
}
