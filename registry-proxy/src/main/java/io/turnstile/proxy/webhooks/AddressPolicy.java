package io.turnstile.proxy.webhooks;

import io.turnstile.config.Cidr;
import io.turnstile.config.WebhooksConfig;
import java.net.InetAddress;
import java.net.URI;
import java.util.List;

/**
 * Where webhooks may go: {@code https} only unless {@code webhooks.allowHttp}, and never to an
 * address in a loopback, link-local, private, shared, unspecified or multicast range unless
 * {@code webhooks.allowAddresses} holds it. The address is checked when the connection is made, on
 * the address then connected to, so a name that resolved to a public address when the endpoint was
 * saved and resolves to an inner one later (DNS rebinding) is refused too.
 */
public final class AddressPolicy {
  private static final List<Cidr> INNER = List.of(
      Cidr.parse("0.0.0.0/8"), Cidr.parse("10.0.0.0/8"), Cidr.parse("100.64.0.0/10"), Cidr.parse("127.0.0.0/8"),
      Cidr.parse("169.254.0.0/16"), Cidr.parse("172.16.0.0/12"), Cidr.parse("192.0.0.0/24"),
      Cidr.parse("192.168.0.0/16"), Cidr.parse("198.18.0.0/15"), Cidr.parse("224.0.0.0/3"),
      Cidr.parse("::/128"), Cidr.parse("::1/128"), Cidr.parse("fc00::/7"), Cidr.parse("fe80::/10"),
      Cidr.parse("ff00::/8"), Cidr.parse("64:ff9b::/96"));

  private final boolean allowHttp;
  private final List<Cidr> allowed;

  public AddressPolicy(WebhooksConfig config) {
    this.allowHttp = config.allowHttp();
    this.allowed = config.allowAddresses();
  }

  /**
   * The reason {@code url} may not be an endpoint, or null when it may. A host written as an address
   * is checked here already; a name is checked at each connection.
   */
  public String refusal(URI url) {
    if (!"https".equals(url.getScheme()) && !("http".equals(url.getScheme()) && allowHttp)) {
      return allowHttp ? "must be an http or https URL" : "must be an https URL (webhooks.allowHttp is false)";
    }
    String host = url.getHost();
    InetAddress literal = host == null ? null
        : Cidr.literal(host.startsWith("[") ? host.substring(1, host.length() - 1) : host);
    return literal == null ? null : refusal(literal);
  }

  /** The reason a connection to {@code address} is refused, or null when it is allowed. */
  public String refusal(InetAddress address) {
    // Cidr.contains reads an IPv4-mapped IPv6 address as its IPv4 address, so ::ffff:127.0.0.1 is loopback here.
    if (allowed.stream().anyMatch(c -> c.contains(address))) {
      return null;
    }
    if (INNER.stream().anyMatch(c -> c.contains(address))) {
      return "address " + address.getHostAddress()
          + " is in a loopback, link-local or private range and not in webhooks.allowAddresses";
    }
    return null;
  }
}
