package io.turnstile.proxy.server;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.turnstile.proxy.access.RegistryBackend;
import io.turnstile.proxy.licensing.LicenseCheck;
import io.turnstile.proxy.observe.Health;
import io.turnstile.proxy.observe.RequestRecord;
import io.turnstile.proxy.oci.HttpResponses;
import io.turnstile.proxy.oci.RegistryError;
import io.turnstile.proxy.oci.RegistryErrors;
import io.turnstile.proxy.oci.RegistryException;
import io.turnstile.proxy.portal.Portal;
import io.turnstile.proxy.web.WebRequest;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection of the public listener. Requests are served one at a time: reading stops
 * (AUTO_READ off) while a request is answered and resumes when its answer is written, which also
 * gives the proxied streams their backpressure. Request bodies are never forwarded: the small forms
 * of the token endpoint and the customer portal are collected with a tight cap, and anything else
 * is dropped. A portal event stream keeps its connection until it ends. While Turnstile
 * stops, a connection closes as soon as it has no answer under way.
 */
final class RegistryFrontend extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(RegistryFrontend.class);
  /** Largest token request body accepted. */
  static final int MAX_FORM = 64 * 1024;

  /** Most request body bytes read and dropped before answering; beyond it the connection closes. */
  static final int MAX_DRAIN = 1024 * 1024;

  private enum State { IDLE, COLLECTING, DRAINING, BUSY, CLOSING }

  private final RegistryServices services;
  private final ClientAddresses clients;
  /** The connection's request deadlines; null in tests that run the frontend alone. */
  private RequestDeadlines deadlines;
  private State state = State.IDLE;
  private final HeldMessages held = new HeldMessages();
  /** The request the data plane is answering, told when the client's socket drains. */
  private RegistryBackend.Call call;
  private HttpRequest current;
  /** What the access log and metrics learn of the current request. */
  private RequestRecord record;
  private CompositeByteBuf form;
  /** Whether the connection carries a portal event stream, which ends only with the connection. */
  private boolean streaming;
  private boolean formTooLarge;
  private long drained;

  /** A frontend that takes every client for its TCP peer. */
  RegistryFrontend(RegistryServices services) {
    this(services, ClientAddresses.SOCKET_PEERS);
  }

  RegistryFrontend(RegistryServices services, ClientAddresses clients) {
    this.services = services;
    this.clients = clients;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    if (services.health().isStopping()) {
      // Accepted as the listener closed: nothing is under way here yet.
      ctx.close();
      return;
    }
    deadlines = ctx.pipeline().get(RequestDeadlines.class);
    ctx.channel().config().setAutoRead(false);
    ctx.read();
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      if (state == State.BUSY || !held.isEmpty()) {
        // Sent ahead of the answer under way: read once it is written.
        if (!held.hold(msg)) {
          state = State.CLOSING;
          ctx.close();
        }
        return;
      }
      take(ctx, msg);
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  private void take(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest request) {
      onRequest(ctx, request);
    }
    if (msg instanceof HttpContent content) {
      onContent(ctx, content);
    }
  }

  /** Reads what was held while the last answer was written, up to the next request it starts. */
  private void takeHeld(ChannelHandlerContext ctx) {
    Object msg;
    while (state != State.BUSY && state != State.CLOSING && (msg = held.next()) != null) {
      try {
        take(ctx, msg);
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (state == State.IDLE || state == State.COLLECTING || state == State.DRAINING) {
      ctx.read();
    }
  }

  /** Takes the request line and headers; the request is served once its body has been read. */
  private void onRequest(ChannelHandlerContext ctx, HttpRequest request) {
    if (state != State.IDLE) {
      // A new request while a body is still read, or after the connection was told to close.
      state = State.CLOSING;
      ctx.close();
      return;
    }
    DecoderResult decoded = request.decoderResult();
    boolean noHost = decoded.isSuccess() && request.protocolVersion().equals(HttpVersion.HTTP_1_1)
        && !request.headers().contains(HttpHeaderNames.HOST);
    if (decoded.isFailure() || noHost) {
      state = State.CLOSING;
      FullHttpResponse r = RegistryErrors.answer(noHost ? new RegistryException(RegistryError.BAD_REQUEST,
          "an HTTP/1.1 request must carry a Host header") : RegistryErrors.malformedRequest(decoded.cause()), false);
      HttpUtil.setKeepAlive(r, false);
      ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
      return;
    }
    current = request;
    record = RequestRecord.of(ctx.channel());
    record.client(clientAddress(ctx));
    drained = 0;
    formTooLarge = false;
    String requestPath = new QueryStringDecoder(request.uri()).rawPath();
    boolean tokenPost = request.method().equals(HttpMethod.POST)
        && (requestPath.equals("/token") || (Portal.owns(requestPath) && services.portal() != null)
            || (requestPath.equals(LicenseCheck.PATH) && services.licenseCheck() != null));
    if (tokenPost && HttpUtil.getContentLength(request, 0L) <= MAX_FORM) {
      state = State.COLLECTING;
      form = ctx.alloc().compositeBuffer();
    } else {
      formTooLarge = tokenPost;
      state = State.DRAINING;
    }
  }

  private void onContent(ChannelHandlerContext ctx, HttpContent content) {
    int n = content.content().readableBytes();
    if (state == State.COLLECTING) {
      if (form.readableBytes() + n > MAX_FORM) {
        form.release();
        form = null;
        formTooLarge = true;
        state = State.DRAINING;
      } else {
        form.addComponent(true, content.content().retain());
      }
    }
    if (state == State.DRAINING) {
      drained += n;
      if (drained > MAX_DRAIN) {
        // Too much to read just to answer politely: answer, then close.
        state = State.BUSY;
        dispatch(ctx, false);
        return;
      }
    }
    if (content instanceof LastHttpContent && (state == State.COLLECTING || state == State.DRAINING)) {
      state = State.BUSY;
      dispatch(ctx, true);
    }
  }

  private void dispatch(ChannelHandlerContext ctx, boolean bodyRead) {
    if (deadlines != null) {
      deadlines.requestRead();
    }
    if (!bodyRead) {
      state = State.CLOSING;
    }
    QueryStringDecoder uri = new QueryStringDecoder(current.uri());
    String path = uri.rawPath();
    String bundleOf = BundleCalls.licenseOf(path, services.portal() != null);
    if (bundleOf != null && RegistryApiCall.isRead(current)) {
      bundle(ctx, bundleOf, path.startsWith("/portal/"));
      return;
    }
    if (Portal.owns(path) && services.portal() != null) {
      portal(ctx, path);
      return;
    }
    if (path.equals("/token")) {
      if (formTooLarge) {
        reply(ctx, RegistryErrors.answer(new RegistryException(RegistryError.BAD_REQUEST, "token request body too large"),
            false), bodyRead);
        return;
      }
      byte[] body = takeForm();
      reply(ctx, TokenCall.answer(services, current, uri.parameters(),
          body == null ? null : new String(body, StandardCharsets.UTF_8), clientAddress(ctx), record), true);
      return;
    }
    if (path.equals("/healthz") && RegistryApiCall.isRead(current)) {
      // Alive: the event loop answers. Outside /v2/, so it names no registry route; no credentials.
      record.quiet();
      Health.Liveness live = services.health().liveness(services.json());
      reply(ctx, HttpResponses.json(live.status(), live.body(), current.method().equals(HttpMethod.HEAD)), true);
      return;
    }
    if (services.licenseCheck() != null && (path.equals(LicenseCheck.PATH) || path.equals(LicenseCheck.KEYS_PATH))) {
      byte[] body = takeForm();
      reply(ctx, LicenseCheckCall.answer(services.licenseCheck(), current, path, body, formTooLarge, clientAddress(ctx)),
          bodyRead && !formTooLarge);
      return;
    }
    if (path.equals("/.well-known/jwks.json") && RegistryApiCall.isRead(current)) {
      reply(ctx, HttpResponses.json(200, services.jwks().document(), current.method().equals(HttpMethod.HEAD)), true);
      return;
    }
    if (path.equals("/v2") || path.startsWith("/v2/")) {
      registry(ctx, current, path.equals("/v2") ? "/v2/" : path);
      return;
    }
    fail(ctx, new RegistryException(RegistryError.NOT_FOUND, "not found"), current.method().equals(HttpMethod.HEAD));
  }

  private void portal(ChannelHandlerContext ctx, String path) {
    if (formTooLarge) {
      reply(ctx, RegistryErrors.answer(new RegistryException(RegistryError.BAD_REQUEST, "form too large"), false), false);
      return;
    }
    byte[] body = takeForm();
    FullHttpResponse response = services.portal().serve(ctx, WebRequest.of(current, body == null ? new byte[0] : body,
        clientAddress(ctx)),
        () -> finish(ctx, false), later -> {
          streaming = false;
          reply(ctx, later, true);
        });
    if (response == null) {
      // An event stream, or a store write whose answer comes later: either way a stop closes it.
      streaming = true;
    } else {
      reply(ctx, response, true);
    }
  }

  private void registry(ChannelHandlerContext ctx, HttpRequest request, String path) {
    try {
      RegistryApiCall.start(services, ctx, request, path, clientAddress(ctx), record,
          answer -> reply(ctx, answer, true), reusable -> finish(ctx, reusable), started -> call = started);
    } catch (RegistryException e) {
      fail(ctx, e, request.method().equals(HttpMethod.HEAD));
    }
  }

  /** An air-gap bundle, asked for with credentials or from a portal session. */
  private void bundle(ChannelHandlerContext ctx, String licenseId, boolean fromPortal) {
    HttpRequest request = current;
    boolean head = request.method().equals(HttpMethod.HEAD);
    BundleCalls.start(services, ctx, request, licenseId, fromPortal, clientAddress(ctx), record,
        reusable -> finish(ctx, HttpUtil.isKeepAlive(request) && reusable), started -> call = started,
        e -> fail(ctx, e, head));
  }

  /** The collected form body, released; null when none was collected. */
  private byte[] takeForm() {
    if (form == null) {
      return null;
    }
    byte[] body = ByteBufUtil.getBytes(form);
    form.release();
    form = null;
    return body;
  }

  /** The current request's client: the TCP peer, or whom a trusted proxy forwards for. */
  private InetAddress clientAddress(ChannelHandlerContext ctx) {
    return clients.of(ctx.channel().remoteAddress(), current.headers());
  }

  private void fail(ChannelHandlerContext ctx, RegistryException e, boolean head) {
    reply(ctx, RegistryErrors.answer(e, head), true);
  }

  /** Writes a complete answer, then ends the request. */
  private void reply(ChannelHandlerContext ctx, FullHttpResponse response, boolean reusable) {
    boolean keepAlive = reusable && current != null && HttpUtil.isKeepAlive(current);
    HttpUtil.setKeepAlive(response, keepAlive);
    ctx.writeAndFlush(response).addListener(f -> finish(ctx, keepAlive && f.isSuccess()));
  }

  /** Ends the current request: the next one may be read, or the connection closes. */
  private void finish(ChannelHandlerContext ctx, boolean reusable) {
    current = null;
    call = null;
    record = null;
    if (!reusable || state == State.CLOSING || services.health().isStopping()) {
      state = State.CLOSING;
      ctx.close();
      return;
    }
    state = State.IDLE;
    if (deadlines != null && held.isEmpty()) {
      deadlines.awaitNext();
    } else if (deadlines != null) {
      // A request sent ahead is under way: it has the request deadline, not the keep-alive one.
      deadlines.readingAhead();
    }
    takeHeld(ctx);
    if (state != State.BUSY && state != State.CLOSING) {
      ctx.read();
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    // Nothing read and nothing written for the whole idle timeout: a stalled or silent client,
    // even mid-answer (a stream that flows writes all the time; upstream waits have their own,
    // shorter timeouts).
    if (evt instanceof IdleStateEvent) {
      ctx.close();
      return;
    }
    if (evt == RegistryServer.STOPPING && (state == State.IDLE || streaming)) {
      // Between requests: nothing to finish. One under way closes the connection when answered.
      state = State.CLOSING;
      ctx.close();
      return;
    }
    if (evt == RequestDeadlines.REQUEST_TIMEOUT) {
      if (state == State.IDLE || state == State.COLLECTING || state == State.DRAINING) {
        state = State.CLOSING;
        FullHttpResponse r = RegistryErrors.answer(
            new RegistryException(RegistryError.REQUEST_TIMEOUT, "request not received in time"), false);
        HttpUtil.setKeepAlive(r, false);
        ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
      }
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (call != null && ctx.channel().isWritable()) {
      call.writable();
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    held.release();
    if (form != null) {
      form.release();
      form = null;
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("client connection failed: {}", cause.toString());
    ctx.close();
  }
}
