package io.turnstile.proxy.cli;

import io.turnstile.config.ConfigException;
import io.turnstile.config.ConfigLoader;
import io.turnstile.config.TurnstileConfig;
import io.turnstile.proxy.server.TurnstileServer;
import io.turnstile.proxy.tls.TlsMaterialException;
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
    TurnstileServer server;
    try {
      server = TurnstileServer.start(cfg);
    } catch (TlsMaterialException e) {
      // Files named by the configuration are part of it: same message form, same exit code.
      String source = config.getFileName() == null ? config.toString() : config.getFileName().toString();
      throw new CliException(new ConfigException(source, e.field(), e.problem()).getMessage(), 2);
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }, "turnstile-shutdown"));
    stopped.await();
    return 0;
  }
}
