package io.turnstile.proxy.cli;

import picocli.CommandLine.Command;

/**
 * {@code turnstile signing-key ...}: rotate the token signing keys kept in the store ({@code
 * token.keySource: store}): {@code add}, then {@code activate KID}, then, once the old key's tokens
 * have expired, {@code retire OLD_KID}.
 */
@Command(name = "signing-key", description = "Rotate the token signing keys kept in the store.",
    mixinStandardHelpOptions = true,
    subcommands = {KeyRotationCommands.Add.class, KeyRotationCommands.Activate.class, KeyRotationCommands.Retire.class})
public final class SigningKeyCommand extends KeyRotationCommands.Family {
  @Command(name = "list", description = "List the signing keys and what each is used for.")
  int list() {
    return KeyRotationCommands.print(this, admin.call("GET", route(), null));
  }

  @Override
  String route() {
    return "signing-keys";
  }
}
