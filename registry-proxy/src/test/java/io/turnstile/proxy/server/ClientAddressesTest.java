package io.turnstile.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.turnstile.config.Cidr;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClientAddressesTest {
  private final ClientAddresses behindProxies =
      new ClientAddresses(List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("fd00::/8")));

  private static InetSocketAddress peer(String ip) throws Exception {
    return new InetSocketAddress(InetAddress.getByName(ip), 40000);
  }

  private static HttpHeaders forwardedFor(String... values) {
    HttpHeaders h = new DefaultHttpHeaders();
    for (String v : values) {
      h.add("X-Forwarded-For", v);
    }
    return h;
  }

  private String client(String peer, String... forwardedFor) throws Exception {
    InetAddress a = behindProxies.of(peer(peer), forwardedFor(forwardedFor));
    return a == null ? null : a.getHostAddress();
  }

  @Test
  void untrustedPeer_isTheClientWhateverItForwards() throws Exception {
    assertThat(client("203.0.113.9", "198.51.100.1")).isEqualTo("203.0.113.9");
    assertThat(client("203.0.113.9")).isEqualTo("203.0.113.9");
  }

  @Test
  void trustedPeer_theRightMostUntrustedAddressIsTheClient() throws Exception {
    assertThat(client("10.0.0.2", "198.51.100.1")).isEqualTo("198.51.100.1");
    // The client wrote "1.2.3.4" itself; its proxy appended the address it saw.
    assertThat(client("10.0.0.2", "1.2.3.4, 198.51.100.1")).isEqualTo("198.51.100.1");
    assertThat(client("10.0.0.2", "1.2.3.4, 198.51.100.1, 10.9.9.9")).as("through two proxies").isEqualTo("198.51.100.1");
    assertThat(client("10.0.0.2", "1.2.3.4", "198.51.100.1, 10.9.9.9")).as("several headers").isEqualTo("198.51.100.1");
  }

  @Test
  void trustedPeer_withoutAHeader_isTheClient() throws Exception {
    assertThat(client("10.0.0.2")).isEqualTo("10.0.0.2");
  }

  @Test
  void everyHopTrusted_theLeftMostIsTheClient() throws Exception {
    assertThat(client("10.0.0.2", "10.1.1.1, 10.2.2.2")).isEqualTo("10.1.1.1");
  }

  @Test
  void aHopThatIsNotAnAddress_endsTheWalkAtTheLastTrustedHop() throws Exception {
    assertThat(client("10.0.0.2", "198.51.100.1, unknown, 10.3.3.3")).isEqualTo("10.3.3.3");
    assertThat(client("10.0.0.2", "evil.example.com")).as("never looked up").isEqualTo("10.0.0.2");
    assertThat(client("10.0.0.2", "")).isEqualTo("10.0.0.2");
  }

  @Test
  void ipv6AndPorts_areUnderstood() throws Exception {
    assertThat(client("fd00::5", "2001:db8::7")).isEqualTo("2001:db8:0:0:0:0:0:7");
    assertThat(client("fd00::5", "[2001:db8::7]:4711")).isEqualTo("2001:db8:0:0:0:0:0:7");
    assertThat(client("10.0.0.2", "198.51.100.1:4711")).isEqualTo("198.51.100.1");
    assertThat(client("10.0.0.2", "::ffff:198.51.100.1")).as("IPv4-mapped").isEqualTo("198.51.100.1");
    assertThat(client("::ffff:10.0.0.2", "198.51.100.1")).as("a mapped peer is trusted like IPv4").isEqualTo("198.51.100.1");
  }

  @Test
  void socketPeers_neverBelieveTheHeader() throws Exception {
    InetAddress a = ClientAddresses.SOCKET_PEERS.of(peer("10.0.0.2"), forwardedFor("198.51.100.1"));
    assertThat(a.getHostAddress()).isEqualTo("10.0.0.2");
  }

  @Test
  void aPeerThatIsNotAnIpSocket_hasNoAddress() {
    EmbeddedChannel ch = new EmbeddedChannel();
    assertThat(behindProxies.of(ch.remoteAddress(), forwardedFor("198.51.100.1"))).isNull();
    ch.finishAndReleaseAll();
  }
}
