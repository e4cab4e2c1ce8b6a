package io.turnstile.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * TLS on a listener: PEM files as cert-manager and openssl write them. The files are read again
 * every {@code reloadInterval}; a changed set that loads is used for the next connections, so a
 * rotated certificate needs no restart. Only TLS 1.2 and 1.3 are accepted.
 *
 * @param certificate PEM file with the listener's certificate first, optionally followed by the
 *     intermediate certificates that lead to the CA; required
 * @param privateKey PEM file with the certificate's unencrypted private key: PKCS#8 ({@code BEGIN
 *     PRIVATE KEY}), or RSA ({@code BEGIN RSA PRIVATE KEY}) or EC ({@code BEGIN EC PRIVATE KEY}) as
 *     openssl writes them; required
 * @param chain PEM file with more intermediate certificates, sent after those of {@code
 *     certificate}; optional
 * @param reloadInterval how often the files are read to look for a new certificate; default 5s
 */
public record TlsConfig(Path certificate, Path privateKey, Path chain, Duration reloadInterval) {
  public TlsConfig {
    Check.required("certificate", certificate);
    Check.required("privateKey", privateKey);
    reloadInterval = reloadInterval == null ? Duration.ofSeconds(5) : reloadInterval;
    Check.positive("reloadInterval", reloadInterval);
  }
}
