package io.turnstile.proxy.server;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Closes a connection, before reading a byte from it, when {@code max} connections are open or
 * its client address already holds {@code maxPerAddress}. The per-address count keeps one host
 * (or one botnet node) from taking every slot; the addresses counted are the sockets' peers, known
 * before any header is read: behind a proxy, every connection counts against the proxy's address,
 * whatever {@code X-Forwarded-For} later says.
 */
@ChannelHandler.Sharable
final class ConnectionLimiter extends ChannelInboundHandlerAdapter {
  /** The address a connection was counted under, so that closing it gives the slot back. */
  private static final AttributeKey<Optional<InetAddress>> COUNTED = AttributeKey.valueOf("turnstile.counted");

  private final int max;
  private final int maxPerAddress;
  private final AtomicInteger open = new AtomicInteger();
  private final ConcurrentHashMap<InetAddress, AtomicInteger> perAddress = new ConcurrentHashMap<>();

  ConnectionLimiter(int max, int maxPerAddress) {
    this.max = max;
    this.maxPerAddress = maxPerAddress;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    // Refused connections are never counted, so a burst of them cannot crowd out the next client.
    InetAddress address = ctx.channel().remoteAddress() instanceof InetSocketAddress inet ? inet.getAddress() : null;
    if (address != null && !take(address)) {
      ctx.close();
      return;
    }
    if (open.incrementAndGet() > max) {
      open.decrementAndGet();
      if (address != null) {
        give(address);
      }
      ctx.close();
      return;
    }
    ctx.channel().attr(COUNTED).set(Optional.ofNullable(address));
    ctx.fireChannelActive();
  }

  /** Connections open now. */
  int open() {
    return open.get();
  }

  private boolean take(InetAddress address) {
    boolean[] taken = {false};
    perAddress.compute(address, (a, n) -> {
      AtomicInteger count = n == null ? new AtomicInteger() : n;
      if (count.get() < maxPerAddress) {
        count.incrementAndGet();
        taken[0] = true;
      }
      return count.get() == 0 ? null : count;
    });
    return taken[0];
  }

  private void give(InetAddress address) {
    perAddress.computeIfPresent(address, (a, n) -> n.decrementAndGet() == 0 ? null : n);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    Optional<InetAddress> counted = ctx.channel().attr(COUNTED).getAndSet(null);
    if (counted != null) {
      open.decrementAndGet();
      counted.ifPresent(this::give);
    }
    ctx.fireChannelInactive();
  }
}
