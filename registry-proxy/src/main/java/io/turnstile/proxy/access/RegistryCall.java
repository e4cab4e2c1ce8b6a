package io.turnstile.proxy.access;

import io.turnstile.proxy.oci.RegistryError;
import io.turnstile.proxy.oci.RegistryException;
import io.turnstile.proxy.oci.RegistryPath;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.turnstile.proxy.oci.HttpResponses;
import io.turnstile.proxy.access.RegistryBackend.Completion;
import io.turnstile.store.Access;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One registry request being answered, with the ways to answer it. */
record RegistryCall(ChannelHandlerContext ctx, HttpRequest request, RegistryPath path, Access access,
    Completion done, boolean head, boolean keepAlive) {
  private static final Logger log = LoggerFactory.getLogger(RegistryCall.class);

  EventLoop loop() {
    return ctx.channel().eventLoop();
  }

  /** Runs {@code then} on this call's event loop once {@code f} completes; failures become 500s. */
  <T> void onLoop(CompletableFuture<T> f, BiConsumer<T, Throwable> then) {
    BiConsumer<T, Throwable> guarded = (v, e) -> {
      try {
        then.accept(v, e == null ? null : unwrap(e));
      } catch (RuntimeException ex) {
        log.error("registry request failed", ex);
        error(new RegistryException(RegistryError.INTERNAL, "internal error"));
      }
    };
    if (f.isDone() && loop().inEventLoop()) {
      f.handle((v, e) -> {
        guarded.accept(v, e);
        return null;
      });
      return;
    }
    f.whenComplete((v, e) -> loop().execute(() -> guarded.accept(v, e)));
  }

  static Throwable unwrap(Throwable e) {
    while (e instanceof CompletionException && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }

  /** Answers with the failure's OCI error; any other failure is a 502 saying {@code message}. */
  void error(Throwable e, String message) {
    error(e instanceof RegistryException re ? re : new RegistryException(RegistryError.UPSTREAM_FAILED, message));
  }

  void error(RegistryException e) {
    write(HttpResponses.error(e.error(), e.getMessage(), e.detail(), head));
  }

  void write(FullHttpResponse r) {
    HttpUtil.setKeepAlive(r, keepAlive);
    ctx.writeAndFlush(r).addListener(f -> done.finished(keepAlive && f.isSuccess()));
  }
}
