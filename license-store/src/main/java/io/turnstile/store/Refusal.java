package io.turnstile.store;

/** Why credentials grant nothing. */
public record Refusal(Reason reason) implements AuthResult {
  public enum Reason {
    /** No such user, a wrong key, or a rotated-away key: deliberately indistinguishable. */
    BAD_CREDENTIALS("invalid username or license key"),
    LICENSE_REVOKED("the license has been revoked"),
    LICENSE_EXPIRED("the license has expired"),
    /** A pull token past its own expiry; its license may still be valid. */
    TOKEN_EXPIRED("the pull token has expired");

    private final String message;

    Reason(String message) {
      this.message = message;
    }

    public String message() {
      return message;
    }
  }

  public static final Refusal BAD_CREDENTIALS = new Refusal(Reason.BAD_CREDENTIALS);
  public static final Refusal REVOKED = new Refusal(Reason.LICENSE_REVOKED);
  public static final Refusal EXPIRED = new Refusal(Reason.LICENSE_EXPIRED);
  public static final Refusal TOKEN_EXPIRED = new Refusal(Reason.TOKEN_EXPIRED);
}
