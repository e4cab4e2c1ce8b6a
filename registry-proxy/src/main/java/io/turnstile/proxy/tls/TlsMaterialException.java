package io.turnstile.proxy.tls;

/**
 * A listener's TLS files cannot be used: missing, unreadable, not PEM, or a private key that does
 * not belong to the certificate. Like a configuration error, it names the configuration field, in
 * the form {@code server.tls.privateKey: /etc/tls/tls.key: does not match the certificate ...}.
 */
public final class TlsMaterialException extends Exception {
  private final String field;
  private final String problem;

  /**
   * @param field the configuration field whose file is at fault, e.g. {@code server.tls.privateKey}
   * @param problem what is wrong, naming the file
   */
  public TlsMaterialException(String field, String problem) {
    super(field + ": " + problem);
    this.field = field;
    this.problem = problem;
  }

  /** The configuration field, e.g. {@code admin.tls.certificate}. */
  public String field() {
    return field;
  }

  /** What is wrong, naming the file. */
  public String problem() {
    return problem;
  }
}
