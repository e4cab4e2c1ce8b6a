package io.turnstile.proxy.token;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** A username and secret from a {@code Basic} Authorization header. */
public record BasicCredentials(String username, String password) {
  /** Thrown for a header that is not well-formed Basic credentials; the message says why. */
  public static final class MalformedException extends Exception {
    public MalformedException(String message) {
      super(message, null, false, false);
    }
  }

  /** Null when the header is absent or not Basic; malformed Basic credentials throw. */
  public static BasicCredentials parse(String header) throws MalformedException {
    if (header == null || header.length() < 6 || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
      return null;
    }
    String encoded = header.substring(6).trim();
    if (encoded.length() > 8192) {
      throw new MalformedException("Basic credentials too long");
    }
    byte[] raw;
    try {
      raw = Base64.getDecoder().decode(encoded);
    } catch (IllegalArgumentException e) {
      throw new MalformedException("Basic credentials are not valid base64");
    }
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(raw)).toString();
    } catch (CharacterCodingException e) {
      throw new MalformedException("Basic credentials are not UTF-8");
    }
    int colon = text.indexOf(':');
    if (colon < 0) {
      throw new MalformedException("Basic credentials lack a ':' between username and password");
    }
    return new BasicCredentials(text.substring(0, colon), text.substring(colon + 1));
  }

  @Override
  public String toString() {
    return "BasicCredentials[username=" + username + ", password=***]";
  }
}
