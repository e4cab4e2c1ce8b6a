package io.turnstile.proxy.server;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.NetUtil;
import io.turnstile.config.Cidr;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Which address a request comes from, for the login throttle and its log. The TCP peer, unless
 * the peer is one of {@code server.trustedProxies}: then {@code X-Forwarded-For} is read from the
 * right, and the client is the first address that is not itself a trusted proxy, as nginx's realip
 * module decides with {@code real_ip_recursive on}. Addresses left of it were written by the client
 * and prove nothing. When every forwarded address is a trusted proxy the left-most is the client;
 * an entry that is not an IP address ends the walk at the last trusted hop. From any other peer
 * the header is ignored, so a client cannot pick its own throttling bucket.
 */
final class ClientAddresses {
  /** Believes no header: every client is its TCP peer. */
  static final ClientAddresses SOCKET_PEERS = new ClientAddresses(List.of());

  private static final String X_FORWARDED_FOR = "X-Forwarded-For";

  private final List<Cidr> trustedProxies;

  ClientAddresses(List<Cidr> trustedProxies) {
    this.trustedProxies = List.copyOf(trustedProxies);
  }

  /** The client behind a request from {@code peer} with {@code headers}; null when the peer is not an IP socket. */
  InetAddress of(SocketAddress peer, HttpHeaders headers) {
    InetAddress client = peer instanceof InetSocketAddress inet ? inet.getAddress() : null;
    if (client == null || !trusted(client)) {
      return client;
    }
    List<String> hops = hops(headers);
    for (int i = hops.size() - 1; i >= 0; i--) {
      InetAddress hop = parse(hops.get(i));
      if (hop == null) {
        break;
      }
      client = hop;
      if (!trusted(hop)) {
        break;
      }
    }
    return client;
  }

  private boolean trusted(InetAddress address) {
    for (Cidr proxy : trustedProxies) {
      if (proxy.contains(address)) {
        return true;
      }
    }
    return false;
  }

  /** Every address of every {@code X-Forwarded-For} header, in order. */
  private static List<String> hops(HttpHeaders headers) {
    List<String> hops = new ArrayList<>();
    for (String header : headers.getAll(X_FORWARDED_FOR)) {
      for (String hop : header.split(",", -1)) {
        hops.add(hop.trim());
      }
    }
    return hops;
  }

  /**
   * An address as proxies write it: {@code 192.0.2.1}, {@code 2001:db8::1}, and with a port,
   * {@code 192.0.2.1:4711} or {@code [2001:db8::1]:4711}; null for anything else. Never a name
   * lookup.
   */
  private static InetAddress parse(String hop) {
    String literal = hop;
    if (literal.startsWith("[")) {
      int end = literal.indexOf(']');
      literal = end < 0 ? "" : literal.substring(1, end);
    } else if (literal.indexOf(':') >= 0 && literal.indexOf(':') == literal.lastIndexOf(':')) {
      literal = literal.substring(0, literal.indexOf(':'));
    }
    byte[] bytes = NetUtil.createByteArrayFromIpAddressString(literal);
    if (bytes == null) {
      return null;
    }
    try {
      // IPv4-mapped IPv6 becomes IPv4 here, so both spellings share a throttling bucket.
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      return null;
    }
  }
}
