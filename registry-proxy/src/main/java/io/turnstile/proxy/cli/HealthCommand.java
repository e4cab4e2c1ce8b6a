package io.turnstile.proxy.cli;

import io.turnstile.config.Durations;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code turnstile health}: asks a running Turnstile's {@code /healthz} and exits 0 when it answers
 * 200, 1 otherwise; for a container's health check, where the image has no curl.
 */
@Command(name = "health", mixinStandardHelpOptions = true,
    description = "Check that a running Turnstile answers: exit 0 when its /healthz says ok, 1 otherwise.")
public final class HealthCommand implements Callable<Integer> {
  @Option(names = "--url", defaultValue = "http://127.0.0.1:8080/healthz", paramLabel = "URL",
      description = "The health endpoint to ask (default ${DEFAULT-VALUE}: the public listener's)")
  URI url;

  @Option(names = "--timeout", defaultValue = "3s", paramLabel = "DURATION",
      description = "How long to wait for the answer (default ${DEFAULT-VALUE})")
  String timeout;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    Duration wait;
    try {
      wait = Durations.parse(timeout);
    } catch (IllegalArgumentException e) {
      throw new CliException("--timeout " + e.getMessage(), 2);
    }
    HttpClient http = HttpClient.newBuilder().connectTimeout(wait).build();
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(url).timeout(wait).build(),
          HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() == 200) {
        spec.commandLine().getOut().println("ok");
        spec.commandLine().getOut().flush();
        return 0;
      }
      throw new CliException(url + " answered " + r.statusCode());
    } catch (IOException e) {
      throw new CliException("no answer from " + url + ": " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException("interrupted");
    } catch (IllegalArgumentException e) {
      throw new CliException("--url must be an http(s) URL", 2);
    }
  }
}
