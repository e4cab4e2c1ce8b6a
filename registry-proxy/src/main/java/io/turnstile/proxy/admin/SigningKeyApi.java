package io.turnstile.proxy.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.turnstile.config.TokenConfig;
import io.turnstile.proxy.token.SigningKeys;
import io.turnstile.store.LicenseStore;
import io.turnstile.store.StoredSigningKey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * {@code /admin/v1/signing-keys}: the token signing keys kept in the store ({@code
 * token.keySource: store}), and their rotation without a token refused: add a key (it verifies
 * only), activate it (it signs; the old one verifies only), retire the old one once the tokens it
 * signed have expired. The private keys never leave the store.
 */
final class SigningKeyApi {
  private final LicenseStore store;
  private final TokenConfig tokens;
  private final ObjectMapper json;

  SigningKeyApi(LicenseStore store, TokenConfig tokens, ObjectMapper json) {
    this.store = store;
    this.tokens = tokens;
    this.json = json;
  }

  AdminResponse route(String method, List<String> p, String actor) {
    if (!tokens.keysInStore()) {
      throw new ApiError(409, "signing keys come from files (token.keySource: files): rotate them by listing the new"
          + " file first in token.signingKey and restarting");
    }
    int n = p.size();
    if (n == 1) {
      return switch (method) {
        case "GET" -> list();
        case "POST" -> new AdminResponse(201, view(store.addSigningKey(generate(), actor)));
        default -> throw new ApiError(405, "method not allowed; use GET, POST");
      };
    }
    String kid = p.get(1);
    if (n == 2 && method.equals("DELETE")) {
      return AdminResponse.ok(view(store.retireSigningKey(kid, actor)));
    }
    if (n == 3 && p.get(2).equals("activate")) {
      if (!method.equals("POST")) {
        throw new ApiError(405, "method not allowed; use POST");
      }
      return AdminResponse.ok(view(store.activateSigningKey(kid, actor)));
    }
    throw new ApiError(404, "no such admin resource");
  }

  private AdminResponse list() {
    ObjectNode out = json.createObjectNode();
    ArrayNode keys = out.putArray("keys");
    for (StoredSigningKey k : store.signingKeys()) {
      keys.add(view(k));
    }
    return AdminResponse.ok(out);
  }

  private io.turnstile.store.NewSigningKey generate() {
    try {
      return SigningKeys.generateForStore(tokens.algorithm());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private ObjectNode view(StoredSigningKey k) {
    return json.createObjectNode().put("kid", k.kid()).put("state", k.state().wireName())
        .put("createdAt", k.createdAt().toString());
  }
}
