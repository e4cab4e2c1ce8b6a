package io.turnstile.proxy.cli;

import picocli.CommandLine.Command;

/**
 * {@code turnstile license-key ...}: {@code export} prints the license-signing public keys as a
 * JWKS, the same document as {@code /.well-known/license-keys.json}, for the vendor to embed in the
 * application; {@code list} shows every key with its state (which signs, which only verify, which
 * are retired). With {@code licenseFiles.keySource: store}, {@code add}, {@code activate KID} and,
 * once the files the old key signed may stop verifying, {@code retire OLD_KID} rotate them.
 */
@Command(name = "license-key", description = "The keys that sign license files.", mixinStandardHelpOptions = true,
    subcommands = {KeyRotationCommands.Add.class, KeyRotationCommands.Activate.class, KeyRotationCommands.Retire.class})
public final class LicenseKeyCommand extends KeyRotationCommands.Family {
  @Command(name = "export", description = "Print the license-signing public keys as a JWKS (embed it in the application).")
  int export() {
    out().println(admin.call("GET", route(), null).toPrettyString());
    out().flush();
    return 0;
  }

  @Command(name = "list", description = "List the license-signing keys: which signs, which only verify, which are retired.")
  int list() {
    return KeyRotationCommands.print(this, admin.call("GET", route() + "/states", null));
  }

  @Override
  String route() {
    return "license-keys";
  }
}
