package io.turnstile.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.turnstile.testkit.Proc;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Verifiers of Turnstile's signed documents that nobody here wrote: Node's {@code jose} (npm
 * 6.2.17, {@code TURNSTILE_JOSE_JS}) and Python's PyJWT (Debian's python3-jwt), each run on a file
 * against a JWKS file, checking ES256, the key by {@code kid}, the {@code typ}, the issuer and the
 * expiry. A run exits 0 and prints {@code {"kid": ..., "claims": {...}}}, or exits 1 saying why.
 */
final class JwtVerifiers {
  /** The {@code typ} of a license file. */
  static final String LICENSE = "turnstile-license+jwt";
  /** The {@code typ} of a bundle's signed manifest list. */
  static final String BUNDLE = "turnstile-bundle+jwt";

  private JwtVerifiers() {}

  static Proc.Result node(Path keys, Path file, String typ) throws Exception {
    String jose = System.getenv("TURNSTILE_JOSE_JS");
    assertThat(jose).as("TURNSTILE_JOSE_JS (jose@6.2.17's dist/webapi/index.js; e2e/run.sh sets it)").isNotBlank();
    assertThat(Path.of(jose)).exists();
    return Proc.run(List.of(Proc.require("node"), resource("/verify-license.mjs"), jose, keys.toString(),
        file.toString(), typ), Map.of(), null, Duration.ofMinutes(1));
  }

  static Proc.Result python(Path keys, Path file, String typ) throws Exception {
    // Debian's python3, where python3-jwt is installed; another python3 may come first on PATH.
    Path python = Path.of("/usr/bin/python3");
    assertThat(python).as("Debian's python3 (e2e/run.sh installs python3-jwt into it)").isExecutable();
    return Proc.run(List.of(python.toString(), resource("/verify_license.py"), keys.toString(), file.toString(), typ),
        Map.of(), null, Duration.ofMinutes(1));
  }

  private static String resource(String name) throws Exception {
    return Path.of(JwtVerifiers.class.getResource(name).toURI()).toString();
  }
}
