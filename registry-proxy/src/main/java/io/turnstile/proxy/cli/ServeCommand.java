package io.turnstile.proxy.cli;

import io.turnstile.config.ConfigException;
import io.turnstile.config.InvalidValueException;
import io.turnstile.config.ConfigLoader;
import io.turnstile.config.TurnstileConfig;
import io.turnstile.proxy.observe.Logging;
import io.turnstile.proxy.server.TurnstileServer;
import io.turnstile.proxy.tls.TlsMaterialException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code turnstile serve}: runs the proxy until SIGTERM or SIGINT, then stops gracefully (see
 * {@link TurnstileServer#stop}) and exits 0.
 */
@Command(name = "serve", description = "Run the registry proxy and the admin API.", mixinStandardHelpOptions = true)
public final class ServeCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

  @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "Configuration file (YAML)")
  Path config;

  @Override
  public Integer call() throws Exception {
    TurnstileConfig cfg;
    try {
      cfg = new ConfigLoader().load(config);
    } catch (ConfigException e) {
      throw new CliException(e.getMessage(), 2);
    }
    Logging.apply(cfg.logging());
    // Taken over before the start, so that a stop asked for while starting waits for it, then drains.
    StopSignals signals = StopSignals.install();
    TurnstileServer server;
    try {
      server = TurnstileServer.start(cfg);
    } catch (TlsMaterialException e) {
      // Files named by the configuration are part of it: same message form, same exit code.
      throw configError(e.field(), e.problem());
    } catch (InvalidValueException e) {
      // A value only the server reads whole (an end-of-life range): same message form too.
      throw configError(e.field(), e.problem());
    }
    // A thread killed by an error (the log writer's among them) fails the probes, so the process is
    // restarted; an event loop, the audit writer and the store's feed are also watched directly.
    Thread.setDefaultUncaughtExceptionHandler((thread, error) -> {
      server.vitals().died(thread, error);
      log.error("thread {} died", thread.getName(), error);
    });
    // Any other way out of the JVM still closes the store and the listeners.
    Runtime.getRuntime().addShutdownHook(new Thread(server::close, "turnstile-shutdown"));
    String signal = signals.await();
    Duration grace = cfg.server().shutdownGrace();
    log.info("{}: stopping; answers under way have up to {} s to finish (signal again to stop at once)", signal,
        grace.toSeconds());
    signals.onRepeat(() -> {
      log.warn("stopping at once: closing the connections still answering");
      server.stopNow();
    });
    boolean finished = server.stop(grace);
    log.info(finished ? "stopped" : "stopped; some answers were cut short");
    return 0;
  }

  private CliException configError(String field, String problem) {
    String source = config.getFileName() == null ? config.toString() : config.getFileName().toString();
    return new CliException(new ConfigException(source, field, problem).getMessage(), 2);
  }
}
