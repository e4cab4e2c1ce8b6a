package io.turnstile.proxy.server;

import io.turnstile.config.TlsConfig;
import io.turnstile.config.TurnstileConfig;
import io.turnstile.proxy.tls.ServerTls;
import io.turnstile.proxy.tls.TlsMaterialException;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The TLS of both listeners, each null when its listener speaks plain HTTP. Loaded before either
 * listener opens a port, so that bad files stop the start like any configuration error.
 */
record ListenerTls(ServerTls registry, ServerTls admin) {
  static ListenerTls load(TurnstileConfig config) throws TlsMaterialException {
    return new ListenerTls(load("server.tls", config.server().tls()), load("admin.tls", config.admin().tls()));
  }

  private static ServerTls load(String field, TlsConfig tls) throws TlsMaterialException {
    return tls == null ? null : ServerTls.load(field, tls);
  }

  /** Starts watching the files of each listener with TLS. */
  void reloadEvery(ScheduledExecutorService timer, Executor blocking) {
    if (registry != null) {
      registry.reloadEvery(timer, blocking);
    }
    if (admin != null) {
      admin.reloadEvery(timer, blocking);
    }
  }
}
