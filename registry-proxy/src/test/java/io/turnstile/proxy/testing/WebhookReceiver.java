package io.turnstile.proxy.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A webhook receiver on 127.0.0.1: it keeps every request it gets and answers the statuses queued
 * with {@link #answer}, then 200.
 */
public final class WebhookReceiver implements AutoCloseable {
  /** One request as it arrived. */
  public record Received(Map<String, List<String>> headers, String body) {
    public String header(String name) {
      List<String> v = headers.get(name);
      return v == null || v.isEmpty() ? null : v.get(0);
    }
  }

  private final HttpServer server;
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final ConcurrentLinkedQueue<Integer> statuses = new ConcurrentLinkedQueue<>();
  private volatile java.util.concurrent.CountDownLatch hold = new java.util.concurrent.CountDownLatch(0);

  public WebhookReceiver() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
    server.createContext("/", exchange -> {
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readAllBytes();
      }
      Map<String, List<String>> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(), List.copyOf(v)));
      received.add(new Received(headers, new String(body, StandardCharsets.UTF_8)));
      try {
        hold.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      Integer status = statuses.poll();
      exchange.sendResponseHeaders(status == null ? 200 : status, -1);
      exchange.close();
    });
    server.start();
  }

  /** Answers the next requests with these statuses, in order. */
  public WebhookReceiver answer(int... next) {
    for (int s : next) {
      statuses.add(s);
    }
    return this;
  }

  /** Keeps every answer back, once the request is kept, until {@code release} is counted down. */
  public WebhookReceiver holdUntil(java.util.concurrent.CountDownLatch release) {
    hold = release;
    return this;
  }

  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/hooks";
  }

  public int port() {
    return server.getAddress().getPort();
  }

  public List<Received> received() {
    return new ArrayList<>(received);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
