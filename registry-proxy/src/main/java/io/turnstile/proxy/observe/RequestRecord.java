package io.turnstile.proxy.observe;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import io.turnstile.proxy.oci.RegistryException;
import io.turnstile.proxy.oci.RegistryPath;
import io.turnstile.store.Principal;
import java.net.InetAddress;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What the access log and the metrics learn about one request to the public listener, filled in as
 * it is answered: the server's request observer opens it when the request head arrives and closes
 * it when the last byte of the answer is written; the frontend adds the route and the caller, the
 * relay the upstream's answer. Lives in a channel attribute while its request is answered. Holds
 * no credential of any kind. Not thread-safe: used on the channel's event loop.
 */
public final class RequestRecord {
  private static final AttributeKey<RequestRecord> CURRENT = AttributeKey.valueOf("turnstile.request");

  final String id;
  final long startNanos;
  final String method;
  final String path;
  final String query;
  final String userAgent;
  String client;
  InetAddress clientAddress;
  Route route;
  String repository;
  String reference;
  String licenseId;
  String customerId;
  int status;
  RegistryException failure;
  long bytes;
  int upstreamStatus;
  long upstreamNanos = -1;
  boolean quiet;

  RequestRecord(String method, String path, String query, String userAgent, InetAddress client) {
    this.id = newId();
    this.startNanos = System.nanoTime();
    this.method = method;
    this.path = path;
    this.query = query;
    this.userAgent = userAgent;
    this.client = client == null ? null : client.getHostAddress();
    this.clientAddress = client;
    this.route = path == null ? Route.OTHER : Route.guess(path);
  }

  /**
   * The record of the request {@code channel} is answering; a detached one, seen by nobody, when
   * the channel has no request observer (a handler tested alone).
   */
  public static RequestRecord of(Channel channel) {
    RequestRecord r = channel.attr(CURRENT).get();
    return r != null ? r : new RequestRecord(null, null, null, null, null);
  }

  static void attach(Channel channel, RequestRecord record) {
    channel.attr(CURRENT).set(record);
  }

  static RequestRecord detach(Channel channel) {
    return channel.attr(CURRENT).getAndSet(null);
  }

  static RequestRecord current(Channel channel) {
    return channel.attr(CURRENT).get();
  }

  /** The id this request is logged under, also sent back as {@code X-Request-Id}. */
  public String id() {
    return id;
  }

  /** The request is for {@code path}, a parsed registry path. */
  public void path(RegistryPath path) {
    route = Route.of(path.kind());
    repository = path.name();
    reference = path.reference();
  }

  /** The request is for {@code route}. */
  public void route(Route route) {
    this.route = route;
  }

  /** The caller, once authenticated. */
  public void principal(Principal principal) {
    customerId = principal.customerId() == null ? null : principal.customerId().value();
    licenseId = principal.licenseId() == null ? null : principal.licenseId().value();
  }

  /** The client's address, when it is not the socket's peer (a trusted proxy's header). */
  public void client(InetAddress address) {
    if (address != null && !address.equals(clientAddress)) {
      clientAddress = address;
      client = address.getHostAddress();
    }
  }

  /** The client's address: the socket's peer, or whom a trusted proxy forwards for; null when unknown. */
  public InetAddress clientAddress() {
    return clientAddress;
  }

  /** The upstream's answer began with {@code status}, {@code nanos} after it was asked. */
  public void upstream(int status, long nanos) {
    upstreamStatus = status;
    upstreamNanos = nanos;
  }

  /** Not written to the access log (health checks); still counted. */
  public void quiet() {
    quiet = true;
  }

  private static String newId() {
    long n = ThreadLocalRandom.current().nextLong();
    StringBuilder sb = new StringBuilder(16);
    for (int shift = 60; shift >= 0; shift -= 4) {
      sb.append(Character.forDigit((int) (n >>> shift) & 0xf, 16));
    }
    return sb.toString();
  }
}
