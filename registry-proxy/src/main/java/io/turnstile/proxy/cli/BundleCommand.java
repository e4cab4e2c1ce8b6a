package io.turnstile.proxy.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code turnstile bundle LICENSE_ID --version V... -o FILE}: an air-gap bundle of a license,
 * through the admin API, written to a file as it streams; {@code --continue} finishes a cut one.
 * Here {@code -o} (elsewhere the output format) names the file, as {@code curl -o} does. {@code
 * turnstile bundle verify} checks one offline ({@link BundleVerifyCommand}).
 */
@Command(name = "bundle", mixinStandardHelpOptions = true, subcommands = BundleVerifyCommand.class,
    description = "Download an air-gap bundle (OCI image layout in a tar) of versions a license grants;"
        + " 'bundle verify FILE --keys JWKS' checks one offline.")
public final class BundleCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin AdminOptions admin;

  // Checked in call(), not by picocli: 'bundle verify FILE' has neither.
  @Parameters(index = "0", arity = "0..1", paramLabel = "LICENSE_ID") String license;
  @Option(names = "--version", paramLabel = "VERSION", description = "a granted version; repeat for more (required)")
  List<String> versions;
  @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "where the tar is written (or -o FILE)")
  Path file;
  @Option(names = {"-C", "--continue"}, description = "finish a cut download of FILE from where it stopped")
  boolean resume;
  @Option(names = "--no-referrers", description = "leave signatures and SBOMs out")
  boolean noReferrers;

  @Override
  public Integer call() throws IOException {
    if (license == null || versions == null || versions.isEmpty()) {
      throw new CliException("name the license and at least one version: bundle LICENSE_ID --version V -o FILE", 2);
    }
    if (file == null) {
      if (admin.output.equals("table") || admin.output.equals("json")) {
        throw new CliException("name the file the bundle is written to: -o FILE");
      }
      file = Path.of(admin.output);
    }
    StringBuilder q = new StringBuilder("licenses/").append(Paths.segment(license)).append("/bundle?");
    for (int i = 0; i < versions.size(); i++) {
      q.append(i == 0 ? "" : "&").append("version=").append(Paths.segment(versions.get(i)));
    }
    if (noReferrers) {
      q.append("&referrers=false");
    }
    long from = resume && Files.exists(file) ? Files.size(file) : 0;
    long written = admin.download(q.toString(), file, from);
    spec.commandLine().getOut().println("wrote " + (from + written) + " bytes to " + file
        + (from > 0 ? " (" + written + " after resuming at " + from + ")" : ""));
    spec.commandLine().getOut().flush();
    return 0;
  }
}
