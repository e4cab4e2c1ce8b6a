package io.turnstile.proxy.upstream;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.channel.pool.FixedChannelPool;
import io.netty.util.concurrent.Future;
import io.turnstile.config.UpstreamConfig;
import io.turnstile.proxy.oci.RegistryException;
import java.net.URI;
import java.util.function.Consumer;

/**
 * Where one exchange gets its connections and how it gives them back. A request to the upstream's
 * own origin first takes a lease from the upstream's bound on connections in use, then a channel
 * from the upstream's pool on the exchange's event loop; the lease goes back with the channel, or at
 * once when the pool cannot connect. A request to any other origin (a redirect target, a token
 * realm) gets a one-off connection, always closed after; the upstream's trust store applies to it
 * only when it is the origin the exchange started at.
 *
 * <p>An exchange holds one connection at a time: a redirect, a challenge or a stale connection
 * opens the next only once the last was given back, so the state kept here is the latest one's. Not
 * thread-safe: every method runs on the exchange's event loop.
 */
final class ExchangeConnection {
  private final UpstreamConnections connections;
  private final EventLoop loop;
  private final UpstreamConfig upstream;
  /** The origin the exchange started at, whose trust the upstream's settings cover. */
  private final Origin origin;
  private final String peer;

  private FixedChannelPool pool;
  /** The bound on the upstream's connections in use; set with {@code pool}. */
  private ConnectionLeases leases;
  /** A lease from {@code leases} is held. */
  private boolean leased;
  private Future<Void> waitingForLease;
  private boolean reused;

  ExchangeConnection(UpstreamConnections connections, EventLoop loop, UpstreamConfig upstream, Origin origin,
      String peer) {
    this.connections = connections;
    this.loop = loop;
    this.upstream = upstream;
    this.origin = origin;
    this.peer = peer;
  }

  /** Connects to {@code where}'s origin; tells {@code opened} the channel, or {@code failed} why there is none. */
  void open(URI where, Consumer<Channel> opened, Consumer<RegistryException> failed) {
    Origin to = Origin.of(where);
    if (to.equals(Origin.of(upstream.url()))) {
      pool = connections.pool(upstream, loop);
      leases = connections.leases(upstream);
      Future<Void> lease = leases.acquire(loop);
      waitingForLease = lease;
      lease.addListener(granted -> {
        waitingForLease = null;
        if (granted.isCancelled()) {
          return;
        }
        if (!granted.isSuccess()) {
          failed.accept(ExchangeFailures.busy((ConnectionLeases.BusyException) granted.cause()));
          return;
        }
        leased = true;
        pool.acquire().addListener((Future<Channel> f) -> {
          if (!f.isSuccess()) {
            giveBackLease();
            failed.accept(ExchangeFailures.connect(peer, f.cause()));
            return;
          }
          Channel ch = f.getNow();
          reused = Boolean.TRUE.equals(ch.attr(UpstreamConnections.REUSED).get());
          opened.accept(ch);
        });
      });
    } else {
      pool = null;
      reused = false;
      // The upstream's trust store covers the origins it names: its own and its token realm's.
      ChannelFuture f = connections.direct(loop, upstream, where, to.equals(origin)).connect();
      f.addListener(done -> {
        if (!done.isSuccess()) {
          failed.accept(ExchangeFailures.connect(peer, done.cause()));
          return;
        }
        opened.accept(f.channel());
      });
    }
  }

  /** Whether the latest channel had served an earlier request: the upstream may have closed it meanwhile. */
  boolean reused() {
    return reused;
  }

  /** Stops waiting for a lease, if the latest {@link #open} still is. */
  void cancel() {
    if (waitingForLease != null) {
      waitingForLease.cancel(false);
    }
  }

  /** Pooled connections kept alive go back to their pool; one-off connections always close. */
  void release(Channel ch, boolean close) {
    if (close || pool == null || !ch.isActive()) {
      ch.close();
    } else {
      ch.attr(UpstreamConnections.REUSED).set(Boolean.TRUE);
    }
    if (pool != null) {
      pool.release(ch);
      giveBackLease();
    }
  }

  private void giveBackLease() {
    if (leased) {
      leased = false;
      leases.release();
    }
  }
}
