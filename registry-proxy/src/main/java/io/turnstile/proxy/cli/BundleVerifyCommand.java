package io.turnstile.proxy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.jwk.JWKSet;
import io.turnstile.proxy.licensing.BundleVerifier;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code turnstile bundle verify FILE --keys JWKS}: checks an air-gap bundle offline, no server
 * needed ({@link BundleVerifier}): its signed manifest list against the license-signing public
 * keys, and {@code index.json} and every blob against the digests the list signs. Prints what it
 * holds; exit code 0 when it verifies, 1 with the reason when it does not.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
    description = "Verify an air-gap bundle offline against the license-signing keys and print what it holds.")
public final class BundleVerifyCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "FILE", description = "The bundle (a tar)")
  Path file;

  @Mixin PublicKeysOption keys;

  @Override
  public Integer call() {
    JWKSet jwks = keys.load();
    BundleVerifier.Verified v;
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      v = new BundleVerifier(jwks).verify(in);
    } catch (BundleVerifier.InvalidBundleException e) {
      throw new CliException(file + " does not verify: " + e.getMessage());
    } catch (IOException e) {
      throw new CliException("cannot read " + file + " as a tar: " + e.getMessage());
    }
    PrintWriter out = spec.commandLine().getOut();
    JsonNode list = v.list();
    out.println("license:     " + list.path("license").asText());
    out.println("application: " + list.path("application").asText());
    StringBuilder versions = new StringBuilder();
    list.path("versions").forEach(x -> versions.append(versions.length() == 0 ? "" : ", ").append(x.asText()));
    out.println("versions:    " + versions);
    Table t = new Table("REPOSITORY", "TAG", "VERSION", "KIND", "DIGEST");
    for (JsonNode m : list.path("manifests")) {
      t.row(m.path("repository").asText(), m.path("tag").asText("-"), m.path("version").asText(),
          m.path("kind").asText(), m.path("digest").asText());
    }
    t.print(out);
    out.println(v.files() + " files under blobs/sha256/, " + v.bytes() + " bytes, each matching its digest");
    out.flush();
    spec.commandLine().getErr().println("verified: " + file + " is signed by license-signing key " + v.kid());
    spec.commandLine().getErr().flush();
    return 0;
  }
}
