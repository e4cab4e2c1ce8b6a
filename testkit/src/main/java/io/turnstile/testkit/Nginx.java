package io.turnstile.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * nginx (Debian's {@code nginx} package) in the foreground on a free port on 127.0.0.1, with its
 * pid file, logs and temporary files under its own directory, so it touches no system nginx. Three
 * shapes, all plain HTTP that stream bodies both ways ({@code proxy_request_buffering off}, no body
 * size limit; answers unbuffered, {@code proxy_buffering off}, except where a rate is imposed):
 *
 * <ul>
 *   <li>{@link #balancer}: round robin over several Turnstile replicas, as an operator runs them.
 *   <li>{@link #basicAuthProxy}: a plain reverse proxy to the upstream that adds its Basic
 *       credentials, what an operator might run instead of Turnstile (the benchmarks' peer).
 *   <li>{@link #throttledProxy}: a reverse proxy that sends answers at a bounded rate, a slow
 *       upstream (the benchmarks' herd on one cold blob).
 * </ul>
 */
public final class Nginx implements AutoCloseable {
  /** Response header naming the server that answered, as nginx's {@code $upstream_addr}. */
  public static final String UPSTREAM_HEADER = "X-Upstream-Addr";

  /**
   * Its port: a free one picked when this is made. See {@link #start} for when it may move to
   * another.
   */
  public int port;
  private final Path dir;
  private final Path conf;
  private final int workers;
  private final boolean accessLog;
  private final Supplier<String> upstream;
  private final String location;
  private final boolean movable;
  private boolean started;
  private Process process;

  private Nginx(Path dir, int workers, boolean accessLog, Supplier<String> upstream, String location, boolean movable)
      throws IOException {
    Files.createDirectories(dir.resolve("logs"));
    this.dir = dir;
    this.conf = dir.resolve("nginx.conf");
    this.workers = workers;
    this.accessLog = accessLog;
    this.upstream = upstream;
    this.location = location;
    this.movable = movable;
    this.port = Proc.freePort();
  }

  /**
   * A balancer over {@code ports} on 127.0.0.1, round robin. The ports are asked for when it starts,
   * so servers started before it may still have moved to other ports. Its own address is known
   * before it starts (the servers behind it name it as their public URL), so it never moves: a port
   * taken meanwhile fails its start, saying so. A server that refuses the connection
   * or times out connecting is skipped for the next one ({@code proxy_next_upstream error timeout})
   * and left out for 10 s after one failure, so a dead replica costs a client nothing while another
   * is up. Not {@code http_502}: Turnstile itself answers 502 when the vendor's registry fails, and
   * replaying that on every replica would take them all out. {@code Host} is passed as the client sent it, so replicas
   * see the balancer's address, and {@code X-Forwarded-For} names the client. Every answer carries
   * {@link #UPSTREAM_HEADER}: the replica (or replicas, comma-separated, the last one answering)
   * that served it, so a test knows which one to kill mid-pull. HTTP/1.1 with kept-alive connections
   * to the replicas; one worker, so the rotation is one sequence.
   */
  public static Nginx balancer(Path dir, Supplier<List<Integer>> ports) throws Exception {
    return new Nginx(dir, 1, true, () -> """
          upstream replicas {
        %s
            keepalive 16;
          }
        """.formatted(ports.get().stream()
            .map(p -> "    server 127.0.0.1:" + p + " max_fails=1 fail_timeout=10s;")
            .collect(Collectors.joining("\n"))), """
              proxy_pass http://replicas;
              proxy_buffering off;
              proxy_http_version 1.1;
              proxy_set_header Connection "";
              proxy_set_header Host $http_host;
              proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
              proxy_set_header X-Forwarded-Proto $scheme;
              proxy_next_upstream error timeout;
              proxy_connect_timeout 2s;
              proxy_read_timeout 60s;
              add_header %s $upstream_addr always;
        """.formatted(UPSTREAM_HEADER), false);
  }

  /** A reverse proxy to the registry on {@code upstreamPort} that adds its Basic credentials. */
  public static Nginx basicAuthProxy(Path dir, int upstreamPort, String user, String password) throws Exception {
    String basic = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    String upstream = """
          upstream registry { server 127.0.0.1:%d; keepalive 64; }
        """.formatted(upstreamPort);
    return new Nginx(dir, 0, false, () -> upstream, """
              proxy_pass http://registry;
              proxy_buffering off;
              proxy_http_version 1.1;
              proxy_set_header Connection "";
              proxy_set_header Authorization "Basic %s";
        """.formatted(basic), true);
  }

  /**
   * A reverse proxy to the registry on {@code upstreamPort} that sends each answer no faster than
   * {@code rate} (nginx's {@code limit_rate}, e.g. {@code "20m"} for 20 MiB/s per connection): an
   * upstream in another region, as far as a blob's download time goes. Requests pass as sent,
   * credentials included.
   */
  public static Nginx throttledProxy(Path dir, int upstreamPort, String rate) throws Exception {
    if (!rate.matches("[0-9]+[km]?")) {
      throw new IllegalArgumentException("not an nginx rate (such as 20m): " + rate);
    }
    String upstream = """
          upstream registry { server 127.0.0.1:%d; keepalive 64; }
        """.formatted(upstreamPort);
    return new Nginx(dir, 1, false, () -> upstream, """
              proxy_pass http://registry;
              proxy_http_version 1.1;
              proxy_set_header Connection "";
              proxy_set_header Host $http_host;
              # limit_rate holds only when nginx buffers the answer; in memory alone, so the
              # upstream is read as fast as the client is sent.
              proxy_buffering on;
              proxy_max_temp_file_size 0;
              limit_rate %s;
        """.formatted(rate), true);
  }

  /**
   * Writes the configuration.
   *
   * <p>{@code workers}: worker processes, 0 for one per core. {@code accessLog}: whether to log
   * requests, with the replica that served each, to {@code logs/access.log} (off where it is
   * measured).
   */
  private void writeConf() throws IOException {
    // "user root" only matters when the master runs as root (then workers would otherwise drop to
    // nobody and could not reach the root-only temporary directories); as anyone else it is ignored.
    String text = """
        daemon off;
        user root;
        worker_processes %5$s;
        pid %1$s/nginx.pid;
        error_log %1$s/logs/error.log warn;
        events { worker_connections 4096; }
        http {
          log_format replicas '$remote_addr "$request" $status $body_bytes_sent '
                              'upstream_status=$upstream_status upstream=$upstream_addr';
          access_log %6$s;
          client_body_temp_path %1$s/body;
          proxy_temp_path %1$s/proxy;
          fastcgi_temp_path %1$s/fastcgi;
          uwsgi_temp_path %1$s/uwsgi;
          scgi_temp_path %1$s/scgi;
        %2$s
          server {
            listen 127.0.0.1:%3$d;
            client_max_body_size 0;
            location / {
              proxy_request_buffering off;
        %4$s
            }
          }
        }
        """.formatted(dir, upstream.get(), port, location, workers == 0 ? "auto" : Integer.toString(workers),
            accessLog ? dir.resolve("logs/access.log") + " replicas" : "off");
    Files.writeString(conf, text);
  }

  /**
   * Starts nginx; returns when it answers HTTP on its port (whatever the servers behind it say) and
   * has written its pid file, which it does only once it holds its port: an answer from another
   * program on the port does not count. The first start of a {@link #basicAuthProxy} moves to
   * another port when a different program took it meanwhile.
   */
  public Nginx start() {
    String nginx = Proc.require("nginx");
    if (started || !movable) {
      launch(nginx);
    } else {
      Proc.onFreePorts("nginx in " + dir, attempt -> {
        if (attempt > 0) {
          port = Proc.freePort();
        }
        launch(nginx);
      }, () -> dir.resolve("logs/error.log"));
    }
    started = true;
    return this;
  }

  private void launch(String nginx) {
    Path pid = dir.resolve("nginx.pid");
    try {
      writeConf();
      Files.deleteIfExists(pid);
      Files.deleteIfExists(dir.resolve("logs/error.log"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    process = Proc.start(List.of(nginx, "-c", conf.toString(), "-p", dir.toString()), Map.of(), dir.resolve("stdout.log"));
    Proc.await("nginx on " + port, Duration.ofSeconds(60), () -> {
      if (!process.isAlive()) {
        throw new AssertionError("nginx exited" + (Proc.addressInUse(dir.resolve("logs/error.log"))
            ? " (port " + port + " is taken by another program)" : "") + "; see " + dir.resolve("logs/error.log")
            + " and " + dir.resolve("stdout.log"));
      }
      return holdsItsPort(pid) && Proc.httpStatus(url() + "/v2/") > 0;
    });
  }

  private boolean holdsItsPort(Path pid) {
    try {
      return Files.exists(pid) && Files.readString(pid).trim().equals(Long.toString(process.pid()));
    } catch (IOException e) {
      return false;
    }
  }

  public String host() {
    return "127.0.0.1:" + port;
  }

  public String url() {
    return "http://" + host();
  }

  @Override
  public void close() {
    Proc.stop(process);
  }
}
