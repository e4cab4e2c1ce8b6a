package io.turnstile.proxy.cli;

import io.turnstile.config.ConfigException;
import io.turnstile.config.ConfigLoader;
import io.turnstile.config.TurnstileConfig;
import io.turnstile.proxy.observe.Logging;
import io.turnstile.proxy.server.TurnstileServer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code turnstile serve}: run the proxy until stopped. */
@Command(name = "serve", description = "Run the registry proxy and the admin API.", mixinStandardHelpOptions = true)
public final class ServeCommand implements Callable<Integer> {
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
    TurnstileServer server = TurnstileServer.start(cfg);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }, "turnstile-shutdown"));
    stopped.await();
    return 0;
  }
}
