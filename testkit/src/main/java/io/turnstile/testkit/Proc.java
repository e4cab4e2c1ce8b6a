package io.turnstile.testkit;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the real programs of the suite. A program that is missing fails the suite: never a skip. */
public final class Proc {
  private Proc() {}

  public record Result(int exit, String out, String err) {
    public String all() {
      return out + err;
    }
  }

  /** Fails unless {@code program} is on the PATH. */
  public static String require(String program) {
    for (String dir : System.getenv("PATH").split(File.pathSeparator)) {
      Path p = Path.of(dir, program);
      if (Files.isExecutable(p)) {
        return p.toString();
      }
    }
    throw new AssertionError(program + " is not installed; e2e/run.sh installs the suite's Debian packages");
  }

  public static Result run(List<String> command, Map<String, String> env, String stdin, Duration timeout) {
    try {
      Path out = Files.createTempFile("e2e-out", ".txt");
      Path err = Files.createTempFile("e2e-err", ".txt");
      ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
      pb.environment().putAll(env);
      Process p = pb.start();
      if (stdin != null) {
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
      }
      p.getOutputStream().close();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("timed out after " + timeout + ": " + String.join(" ", command));
      }
      Result r = new Result(p.exitValue(), Files.readString(out), Files.readString(err));
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
      return r;
    } catch (IOException e) {
      throw new AssertionError("cannot run " + command + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  public static Result run(Map<String, String> env, String... command) {
    return run(List.of(command), env, null, Duration.ofMinutes(2));
  }

  /** Starts a long-running program with its output in {@code log}. */
  public static Process start(List<String> command, Map<String, String> env, Path log) {
    try {
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
      pb.environment().putAll(env);
      return pb.start();
    } catch (IOException e) {
      throw new AssertionError("cannot start " + command + ": " + e.getMessage(), e);
    }
  }

  public static void stop(Process p) {
    if (p == null || !p.isAlive()) {
      return;
    }
    p.destroy();
    try {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Waits until {@code check} holds, or fails with {@code what}. */
  public static void await(String what, Duration timeout, java.util.function.BooleanSupplier check) {
    long end = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < end) {
      try {
        if (check.getAsBoolean()) {
          return;
        }
      } catch (RuntimeException ignored) {
        // not yet
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    throw new AssertionError("timed out waiting for " + what);
  }

  public static int freePort() {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  public static int httpStatus(String url) {
    return status(java.net.http.HttpClient.newHttpClient(), url);
  }

  /** The status of a GET over HTTPS, trusting what {@code trust} trusts; -1 when there is no answer. */
  public static int httpsStatus(String url, javax.net.ssl.SSLContext trust) {
    return status(java.net.http.HttpClient.newBuilder().sslContext(trust).build(), url);
  }

  private static int status(java.net.http.HttpClient client, String url) {
    try {
      var r = client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
          .timeout(Duration.ofSeconds(2)).build(), java.net.http.HttpResponse.BodyHandlers.discarding());
      return r.statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }
}
