package io.turnstile.proxy.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.turnstile.proxy.licensing.LicenseVerifier;
import io.turnstile.proxy.server.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code turnstile license verify FILE --keys JWKS}: verifies a license file offline, against the
 * published license-signing keys, as an application would, and prints its claims. Exit code 0 when
 * it verifies, 1 with the reason when it does not.
 */
@Command(name = "verify", description = "Verify a license file offline against the license-signing keys and print its claims.",
    mixinStandardHelpOptions = true)
public final class LicenseVerifyCommand implements java.util.concurrent.Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "FILE", description = "The license file")
  Path file;

  @Mixin PublicKeysOption keys;

  @Override
  public Integer call() {
    JWKSet jwks = keys.load();
    String jws;
    try {
      jws = Files.readString(file);
    } catch (IOException e) {
      throw new CliException("cannot read " + file + ": " + e.getMessage());
    }
    JWTClaimsSet claims;
    String kid;
    try {
      claims = LicenseVerifier.files(jwks).verify(jws);
      kid = SignedJWT.parse(jws.strip()).getHeader().getKeyID();
    } catch (LicenseVerifier.InvalidLicenseFileException | ParseException e) {
      throw new CliException(file + " does not verify: " + e.getMessage());
    }
    ObjectMapper json = Json.mapper();
    try {
      String pretty = json.readTree(JSONObjectUtils.toJSONString(claims.toJSONObject())).toPrettyString();
      spec.commandLine().getOut().println(pretty);
    } catch (IOException e) {
      throw new CliException("cannot print the claims: " + e.getMessage());
    }
    spec.commandLine().getErr().println("verified: " + file + " is signed by license-signing key " + kid);
    spec.commandLine().getOut().flush();
    spec.commandLine().getErr().flush();
    return 0;
  }
}
