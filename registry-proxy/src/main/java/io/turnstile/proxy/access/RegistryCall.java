package io.turnstile.proxy.access;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.turnstile.proxy.concurrent.EventLoops;
import io.turnstile.proxy.observe.RequestRecord;
import io.turnstile.proxy.oci.RegistryErrors;
import io.turnstile.proxy.oci.RegistryException;
import io.turnstile.proxy.oci.RegistryPath;
import io.turnstile.store.Access;
import io.turnstile.store.Grant;
import io.turnstile.store.License;
import java.net.InetAddress;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;

/**
 * One registry request being answered: what was asked, the caller's access and its grant on the
 * repository (asked of the snapshot once, null for the catalog), and the ways to answer. Not
 * thread-safe: used on the channel's event loop.
 */
final class RegistryCall implements RegistryBackend.Call {
  private final ChannelHandlerContext ctx;
  private final HttpRequest request;
  private final RegistryPath path;
  private final Access access;
  private final Grant grant;
  private final RegistryBackend.Completion done;
  private final boolean head;
  private final boolean keepAlive;
  /** The client, as the request observer saw it when the request arrived; null when unknown. */
  private final InetAddress client;
  private Relay relay;
  private String reachedFrom;
  private License reachedWith;

  RegistryCall(ChannelHandlerContext ctx, HttpRequest request, RegistryPath path, Access access, Grant grant,
      RegistryBackend.Completion done) {
    this.ctx = ctx;
    this.request = request;
    this.path = path;
    this.access = access;
    this.grant = grant;
    this.done = done;
    this.head = request.method().name().equals("HEAD");
    this.keepAlive = HttpUtil.isKeepAlive(request);
    this.client = RequestRecord.of(ctx.channel()).clientAddress();
  }

  /** The client's address: the socket's peer, or whom a trusted proxy forwards for. */
  InetAddress client() {
    return client;
  }

  ChannelHandlerContext ctx() {
    return ctx;
  }

  HttpRequest request() {
    return request;
  }

  RegistryPath path() {
    return path;
  }

  Access access() {
    return access;
  }

  Grant grant() {
    return grant;
  }

  RegistryBackend.Completion done() {
    return done;
  }

  boolean head() {
    return head;
  }

  boolean keepAlive() {
    return keepAlive;
  }

  EventLoop loop() {
    return ctx.channel().eventLoop();
  }

  /**
   * What is asked for is served because {@code license} grants {@code tag}: the tag asked for, or
   * one whose content holds the digest asked for.
   */
  void reachedFrom(String tag, License license) {
    this.reachedFrom = tag;
    this.reachedWith = license;
  }

  /** The granted tag behind the answer; null until the grant has been decided. */
  String reachedFrom() {
    return reachedFrom;
  }

  /** The license granting {@link #reachedFrom()}. */
  License reachedWith() {
    return reachedWith;
  }

  /** The answer is streamed from the upstream by {@code relay} from now on. */
  void streamWith(Relay relay) {
    this.relay = relay;
  }

  @Override
  public void writable() {
    if (relay != null) {
      relay.writable();
    }
  }

  /** Runs {@code then} on this call's event loop once {@code f} completes; a defect in it becomes a 500. */
  <T> void onLoop(CompletableFuture<T> f, BiConsumer<T, Throwable> then) {
    EventLoops.whenDone(loop(), f, (v, e) -> {
      try {
        then.accept(v, e);
      } catch (RuntimeException ex) {
        error(ex);
      }
    });
  }

  /** Answers with the error {@code failure} maps to. */
  void error(Throwable failure) {
    RegistryException e = RegistryErrors.from(failure);
    write(RegistryErrors.answer(e, head));
  }

  void write(FullHttpResponse r) {
    write(r, null);
  }

  /** Writes {@code r}, running {@code onWritten} (when not null) once it has been written whole. */
  void write(FullHttpResponse r, Runnable onWritten) {
    HttpUtil.setKeepAlive(r, keepAlive);
    ctx.writeAndFlush(r).addListener(f -> {
      if (onWritten != null && f.isSuccess()) {
        onWritten.run();
      }
      done.finished(keepAlive && f.isSuccess());
    });
  }
}
