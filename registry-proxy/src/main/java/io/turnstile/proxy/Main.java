package io.turnstile.proxy;

import io.turnstile.proxy.cli.CliException;
import io.turnstile.proxy.cli.ActivityCommand;
import io.turnstile.proxy.cli.ApplicationCommand;
import io.turnstile.proxy.cli.BundleCommand;
import io.turnstile.proxy.cli.CustomerCommand;
import io.turnstile.proxy.cli.HealthCommand;
import io.turnstile.proxy.cli.LicenseCommand;
import io.turnstile.proxy.cli.LicenseKeyCommand;
import io.turnstile.proxy.cli.PullsCommand;
import io.turnstile.proxy.cli.ServeCommand;
import io.turnstile.proxy.cli.SigningKeyCommand;
import io.turnstile.proxy.cli.WebhookCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** The {@code turnstile} command: {@code serve}, the admin commands and {@code health}. */
@Command(name = "turnstile", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "License-aware OCI registry proxy.",
    subcommands = {ServeCommand.class, CustomerCommand.class, LicenseCommand.class, PullsCommand.class, ActivityCommand.class,
        BundleCommand.class, ApplicationCommand.class,
        SigningKeyCommand.class, LicenseKeyCommand.class, WebhookCommand.class,
        HealthCommand.class,
        CommandLine.HelpCommand.class})
public final class Main {
  public static void main(String[] args) {
    System.setProperty("org.jooq.no-logo", "true");
    System.setProperty("org.jooq.no-tips", "true");
    System.exit(run(args));
  }

  /** Runs the command line and returns the exit code; errors print one line to stderr. */
  public static int run(String... args) {
    CommandLine cli = new CommandLine(new Main());
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      if (e instanceof CliException c) {
        commandLine.getErr().println("turnstile: error: " + c.getMessage());
        commandLine.getErr().flush();
        return c.exitCode();
      }
      commandLine.getErr().println("turnstile: error: " + e);
      commandLine.getErr().flush();
      return 1;
    });
    return cli.execute(args);
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"turnstile " + (v == null ? "dev" : v)};
    }
  }
}
