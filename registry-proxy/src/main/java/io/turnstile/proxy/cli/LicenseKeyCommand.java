package io.turnstile.proxy.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code turnstile license-key export}: the license-signing public keys as a JWKS, the same
 * document as {@code /.well-known/license-keys.json}, for the vendor to embed in the application.
 */
@Command(name = "license-key", description = "The keys that sign license files.", mixinStandardHelpOptions = true)
public final class LicenseKeyCommand {
  @Spec CommandSpec spec;
  @Mixin AdminOptions admin;

  @Command(name = "export", description = "Print the license-signing public keys as a JWKS (embed it in the application).")
  int export() {
    spec.commandLine().getOut().println(admin.call("GET", "license-keys", null).toPrettyString());
    spec.commandLine().getOut().flush();
    return 0;
  }
}
