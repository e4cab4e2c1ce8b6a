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

  /**
   * Waits until {@code check} holds, or fails with {@code what} after {@code timeout}. A check that
   * throws a {@link RuntimeException} counts as not yet, and the last one is named in the failure;
   * an {@link AssertionError} ends the wait at once.
   */
  public static void await(String what, Duration timeout, java.util.function.BooleanSupplier check) {
    long end = System.nanoTime() + timeout.toNanos();
    RuntimeException last = null;
    while (true) {
      try {
        if (check.getAsBoolean()) {
          return;
        }
      } catch (RuntimeException notYet) {
        last = notYet;
      }
      if (System.nanoTime() >= end) {
        throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what
            + (last == null ? "" : "; last: " + last), last);
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what, e);
      }
    }
  }

  /**
   * A port that is free now. Another program may bind it before the one it is meant for does: a
   * program given it should be started through {@link #onFreePorts}, which starts it again on other
   * ports when that happens.
   */
  public static int freePort() {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /**
   * {@code n} ports that are free now and differ from each other: all are held at once while they
   * are chosen, so the system cannot hand the same one out twice (as two calls of {@link #freePort}
   * can, once the first socket is closed). The caveat of {@link #freePort} applies.
   */
  public static int[] freePorts(int n) {
    java.net.ServerSocket[] held = new java.net.ServerSocket[n];
    try {
      int[] ports = new int[n];
      for (int i = 0; i < n; i++) {
        held[i] = new java.net.ServerSocket(0);
        ports[i] = held[i].getLocalPort();
      }
      return ports;
    } catch (IOException e) {
      throw new AssertionError(e);
    } finally {
      for (java.net.ServerSocket s : held) {
        if (s != null) {
          try {
            s.close();
          } catch (IOException ignored) {
            // closing a listening socket that never accepted
          }
        }
      }
    }
  }

  /** How often {@link #onFreePorts} tries before it gives up. */
  static final int PORT_ATTEMPTS = 5;

  /**
   * Starts a program on free ports, and again on others when another program bound one of them
   * between the pick and the start (their log then says "Address already in use", whatever the
   * program: the words are the operating system's). {@code start} is given the attempt, 0 first; on
   * an attempt after the first it picks new ports. It returns once the program listens, or fails.
   *
   * @param log where the program reports why it stopped; read after {@code start} failed
   */
  public static void onFreePorts(String what, java.util.function.IntConsumer start,
      java.util.function.Supplier<Path> log) {
    for (int attempt = 0; ; attempt++) {
      try {
        start.accept(attempt);
        return;
      } catch (AssertionError | RuntimeException e) {
        if (attempt + 1 >= PORT_ATTEMPTS || !addressInUse(log.get())) {
          throw e;
        }
        System.err.println(what + ": a port was taken before it started; starting again on others");
      }
    }
  }

  /** Whether {@code log} says its program could not listen because the address was taken. */
  public static boolean addressInUse(Path log) {
    try {
      return log != null && Files.exists(log)
          && Files.readString(log).toLowerCase(java.util.Locale.ROOT).contains("address already in use");
    } catch (IOException e) {
      return false;
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
