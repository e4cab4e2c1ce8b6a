package io.turnstile.proxy.token;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.UncheckedIOException;

/** The {@code /.well-known/jwks.json} document: the public keys that verify tokens now. */
public final class Jwks {
  private final TokenService tokens;
  private final ObjectMapper json;
  private volatile Rendered rendered;

  private record Rendered(SigningKeys keys, byte[] bytes) {}

  public Jwks(TokenService tokens, ObjectMapper json) {
    this.tokens = tokens;
    this.json = json;
  }

  /** The document, rendered again only when the keys change. */
  public byte[] document() {
    SigningKeys keys = tokens.keys();
    Rendered r = rendered;
    if (r == null || r.keys() != keys) {
      try {
        r = new Rendered(keys, json.writeValueAsBytes(keys.publicJwks().toJSONObject()));
      } catch (JsonProcessingException e) {
        throw new UncheckedIOException(e);
      }
      rendered = r;
    }
    return r.bytes();
  }
}
