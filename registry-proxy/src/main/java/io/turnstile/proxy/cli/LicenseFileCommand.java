package io.turnstile.proxy.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code turnstile license file LICENSE_ID}: the license file as the license is now, a signed JWT
 * the customer installs beside the application; to stdout, or to {@code --to FILE}.
 */
@Command(name = "file", description = "Download a license's signed license file (a JWT).", mixinStandardHelpOptions = true)
public final class LicenseFileCommand implements java.util.concurrent.Callable<Integer> {
  @Spec CommandSpec spec;
  /** The admin options are {@code license}'s, inherited. */
  @ParentCommand LicenseCommand license;

  @Parameters(paramLabel = "LICENSE_ID")
  String id;

  @Option(names = "--to", paramLabel = "FILE", description = "Write it to FILE instead of stdout")
  Path output;

  @Override
  public Integer call() {
    String jws = license.admin.text("licenses/" + Paths.segment(id) + "/file", "application/jwt").strip();
    if (output == null) {
      spec.commandLine().getOut().println(jws);
      spec.commandLine().getOut().flush();
      return 0;
    }
    try {
      Files.writeString(output, jws + "\n", StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new CliException("cannot write " + output + ": " + e.getMessage());
    }
    return 0;
  }
}
