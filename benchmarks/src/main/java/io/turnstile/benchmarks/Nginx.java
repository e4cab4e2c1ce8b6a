package io.turnstile.benchmarks;

import io.turnstile.testkit.Proc;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * nginx as an operator would put it in front of the upstream instead of Turnstile: a plain reverse
 * proxy, buffering off, adding the upstream's Basic credentials, no license checks.
 */
final class Nginx implements AutoCloseable {
  final int port;
  private Process process;

  private Nginx(int port) {
    this.port = port;
  }

  static Nginx start(Path dir, int upstreamPort, String user, String password) throws Exception {
    String nginx = Proc.require("nginx");
    Files.createDirectories(dir.resolve("logs"));
    int port = Proc.freePort();
    String basic = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    Path conf = dir.resolve("nginx.conf");
    Files.writeString(conf, """
        daemon off;
        user root;
        worker_processes auto;
        pid %1$s/nginx.pid;
        error_log %1$s/logs/error.log warn;
        events { worker_connections 4096; }
        http {
          access_log off;
          client_body_temp_path %1$s/body;
          proxy_temp_path %1$s/proxy;
          upstream registry { server 127.0.0.1:%2$d; keepalive 64; }
          server {
            listen 127.0.0.1:%3$d;
            location / {
              proxy_pass http://registry;
              proxy_http_version 1.1;
              proxy_set_header Connection "";
              proxy_set_header Authorization "Basic %4$s";
              proxy_buffering off;
              proxy_request_buffering off;
            }
          }
        }
        """.formatted(dir, upstreamPort, port, basic));
    Nginx n = new Nginx(port);
    n.process = Proc.start(List.of(nginx, "-c", conf.toString(), "-p", dir.toString()), Map.of(), dir.resolve("stdout.log"));
    Proc.await("nginx on " + port, Duration.ofSeconds(10), () -> Proc.httpStatus("http://127.0.0.1:" + port + "/v2/") == 200);
    return n;
  }

  String url() {
    return "http://127.0.0.1:" + port;
  }

  @Override
  public void close() {
    Proc.stop(process);
  }
}
