package io.turnstile.testkit;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * nginx (Debian's {@code nginx} package) in the foreground on a free port on 127.0.0.1, with its
 * pid file, logs and temporary files under its own directory, so it touches no system nginx. Two
 * shapes, both plain HTTP that stream bodies both ways ({@code proxy_buffering off}, {@code
 * proxy_request_buffering off}, no body size limit):
 *
 * <ul>
 *   <li>{@link #balancer}: round robin over several Turnstile replicas, as an operator runs them.
 *   <li>{@link #basicAuthProxy}: a plain reverse proxy to the upstream that adds its Basic
 *       credentials, what an operator might run instead of Turnstile (the benchmarks' peer).
 * </ul>
 */
public final class Nginx implements AutoCloseable {
  /** Response header naming the server that answered, as nginx's {@code $upstream_addr}. */
  public static final String UPSTREAM_HEADER = "X-Upstream-Addr";

  public final int port;
  private final Path dir;
  private final Path conf;
  private Process process;

  private Nginx(Path dir, Path conf, int port) {
    this.dir = dir;
    this.conf = conf;
    this.port = port;
  }

  /**
   * A balancer over {@code ports} on 127.0.0.1, round robin. A server that refuses the connection
   * or times out connecting is skipped for the next one ({@code proxy_next_upstream error timeout})
   * and left out for 10 s after one failure, so a dead replica costs a client nothing while another
   * is up. Not {@code http_502}: Turnstile itself answers 502 when the vendor's registry fails, and
   * replaying that on every replica would take them all out. {@code Host} is passed as the client sent it, so replicas
   * see the balancer's address, and {@code X-Forwarded-For} names the client. Every answer carries
   * {@link #UPSTREAM_HEADER}: the replica (or replicas, comma-separated, the last one answering)
   * that served it, so a test knows which one to kill mid-pull. HTTP/1.1 with kept-alive connections
   * to the replicas; one worker, so the rotation is one sequence.
   */
  public static Nginx balancer(Path dir, List<Integer> ports) throws Exception {
    String servers = ports.stream()
        .map(p -> "    server 127.0.0.1:" + p + " max_fails=1 fail_timeout=10s;")
        .collect(Collectors.joining("\n"));
    return write(dir, 1, true, """
          upstream replicas {
        %s
            keepalive 16;
          }
        """.formatted(servers), """
              proxy_pass http://replicas;
              proxy_http_version 1.1;
              proxy_set_header Connection "";
              proxy_set_header Host $http_host;
              proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
              proxy_set_header X-Forwarded-Proto $scheme;
              proxy_next_upstream error timeout;
              proxy_connect_timeout 2s;
              proxy_read_timeout 60s;
              add_header %s $upstream_addr always;
        """.formatted(UPSTREAM_HEADER));
  }

  /** A reverse proxy to the registry on {@code upstreamPort} that adds its Basic credentials. */
  public static Nginx basicAuthProxy(Path dir, int upstreamPort, String user, String password) throws Exception {
    String basic = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    return write(dir, 0, false, """
          upstream registry { server 127.0.0.1:%d; keepalive 64; }
        """.formatted(upstreamPort), """
              proxy_pass http://registry;
              proxy_http_version 1.1;
              proxy_set_header Connection "";
              proxy_set_header Authorization "Basic %s";
        """.formatted(basic));
  }

  /**
   * @param workers worker processes; 0 for one per core
   * @param accessLog whether to log requests, with the replica that served each, to {@code
   *     logs/access.log} (off where it is measured)
   */
  private static Nginx write(Path dir, int workers, boolean accessLog, String upstream, String location)
      throws Exception {
    Files.createDirectories(dir.resolve("logs"));
    int port = Proc.freePort();
    // "user root" only matters when the master runs as root (then workers would otherwise drop to
    // nobody and could not reach the root-only temporary directories); as anyone else it is ignored.
    String conf = """
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
              proxy_buffering off;
              proxy_request_buffering off;
        %4$s
            }
          }
        }
        """.formatted(dir, upstream, port, location, workers == 0 ? "auto" : Integer.toString(workers),
            accessLog ? dir.resolve("logs/access.log") + " replicas" : "off");
    Path file = dir.resolve("nginx.conf");
    Files.writeString(file, conf);
    return new Nginx(dir, file, port);
  }

  /** Starts nginx; returns when it answers HTTP on its port (whatever the servers behind it say). */
  public Nginx start() {
    String nginx = Proc.require("nginx");
    process = Proc.start(List.of(nginx, "-c", conf.toString(), "-p", dir.toString()), Map.of(), dir.resolve("stdout.log"));
    Proc.await("nginx on " + port, Duration.ofSeconds(10), () -> {
      if (!process.isAlive()) {
        throw new AssertionError("nginx exited; see " + dir.resolve("logs/error.log") + " and " + dir.resolve("stdout.log"));
      }
      return Proc.httpStatus(url() + "/v2/") > 0;
    });
    return this;
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
