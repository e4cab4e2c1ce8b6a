package io.turnstile.proxy.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.turnstile.config.TokenConfig;
import io.turnstile.proxy.keys.StoredKeyRing;
import io.turnstile.proxy.licensing.LicenseFiles;
import io.turnstile.proxy.licensing.LicenseKeys;
import io.turnstile.proxy.token.SigningKeys;
import io.turnstile.store.KeyPurpose;
import io.turnstile.store.LicenseStore;
import io.turnstile.store.NewSigningKey;
import io.turnstile.store.StoredKeys;
import io.turnstile.store.StoredSigningKey;
import io.turnstile.store.StoredSigningKey.State;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.function.Supplier;

/**
 * The rotation of signing keys kept in the store, for one purpose: {@code /admin/v1/signing-keys}
 * (token keys, {@code token.keySource: store}) and {@code /admin/v1/license-keys}
 * (license-signing keys, {@code licenseFiles.keySource: store}). Add a key ({@code POST}: it is
 * generated here and verifies only), activate it ({@code POST .../{kid}/activate}: it signs, the
 * one before verifies only), retire the old one ({@code DELETE .../{kid}}: what it signed stops
 * verifying; the signer cannot be retired, {@code 409}). Each route family reaches only the keys of
 * its own purpose. The private keys never leave the store. With keys from files, every change is
 * {@code 409} saying how to rotate the files instead.
 *
 * <p>Listing the keys with their states: {@code GET /admin/v1/signing-keys} for token keys (kept in
 * the store only), and {@code GET /admin/v1/license-keys/states} for license-signing keys, since
 * {@code GET /admin/v1/license-keys} already answers their JWKS. The latter answers with keys from
 * files too: the files' keys in the order configured, the first {@code active}, the others {@code
 * verify}, with no times (a file says nothing of when it was made).
 */
final class KeyRotationApi {
  /** The segment after {@code license-keys} that lists the keys with their states. */
  static final String STATES = "states";

  private final StoredKeys keys;
  private final boolean inStore;
  private final String filesAdvice;
  private final StoredKeyRing.Generator generator;
  private final Supplier<AdminResponse> list;
  private final Supplier<List<String>> fileKids;
  private final ObjectMapper json;

  /**
   * @param inStore whether these keys are kept in the store; otherwise they come from files
   * @param filesAdvice the {@code 409}'s message when they come from files: how to rotate them
   * @param list the answer to {@code GET}, or null to list the stored keys and their states
   * @param fileKids the kids of the keys read from files, signer first, for {@code GET .../states};
   *     null when the family has no such route
   */
  KeyRotationApi(StoredKeys keys, boolean inStore, String filesAdvice, StoredKeyRing.Generator generator,
      Supplier<AdminResponse> list, Supplier<List<String>> fileKids, ObjectMapper json) {
    this.keys = keys;
    this.inStore = inStore;
    this.filesAdvice = filesAdvice;
    this.generator = generator;
    this.list = list != null ? list : this::listStored;
    this.fileKids = fileKids;
    this.json = json;
  }

  /** {@code /admin/v1/signing-keys}: the token keys, listed with their states. */
  static KeyRotationApi tokenKeys(LicenseStore store, TokenConfig tokens, ObjectMapper json) {
    return new KeyRotationApi(store.keys(KeyPurpose.TOKEN), tokens.keysInStore(),
        "signing keys come from files (token.keySource: files): rotate them by listing the new"
            + " file first in token.signingKey and restarting",
        () -> SigningKeys.generateForStore(tokens.algorithm()), null, null, json);
  }

  /**
   * {@code /admin/v1/license-keys}: the license-signing keys; {@code GET} answers the published
   * JWKS (the signing key first) wherever the keys come from, and {@code GET .../states} every key
   * with its state.
   */
  static KeyRotationApi licenseKeys(LicenseStore store, LicenseFiles files, ObjectMapper json) {
    return new KeyRotationApi(store.keys(KeyPurpose.LICENSE), files.keysInStore(),
        "license-signing keys come from files (licenseFiles.keySource: files): rotate them by listing the new"
            + " file first in licenseFiles.signingKey, keeping the old one, and restarting; removing the old"
            + " file retires it",
        LicenseKeys::generateForStore,
        () -> AdminResponse.ok(json.valueToTree(files.keys().publicJwks().toJSONObject())),
        () -> files.keys().publicJwks().getKeys().stream().map(k -> k.getKeyID()).toList(), json);
  }

  /** Serves {@code p}: the path's segments after {@code /admin/v1/}, the family's name first. */
  AdminResponse route(String method, List<String> p, String actor) {
    int n = p.size();
    if (n == 1) {
      return switch (method) {
        case "GET" -> list.get();
        case "POST" -> AdminResponse.created(view(stored().add(generate(), actor)));
        default -> throw ApiError.notAllowed("GET, POST");
      };
    }
    if (n == 2 && fileKids != null && p.get(1).equals(STATES)) {
      if (!method.equals("GET")) {
        throw ApiError.notAllowed("GET");
      }
      return states();
    }
    String kid = p.get(1);
    if (n == 2) {
      if (!method.equals("DELETE")) {
        throw ApiError.notAllowed("DELETE");
      }
      return AdminResponse.ok(view(stored().retire(kid, actor)));
    }
    if (n == 3 && p.get(2).equals("activate")) {
      if (!method.equals("POST")) {
        throw ApiError.notAllowed("POST");
      }
      return AdminResponse.ok(view(stored().activate(kid, actor)));
    }
    throw new ApiError(404, "no such admin resource");
  }

  private StoredKeys stored() {
    if (!inStore) {
      throw new ApiError(409, filesAdvice);
    }
    return keys;
  }

  private AdminResponse listStored() {
    ObjectNode out = json.createObjectNode();
    ArrayNode array = out.putArray("keys");
    for (StoredSigningKey k : stored().list()) {
      array.add(view(k));
    }
    return AdminResponse.ok(out);
  }

  /**
   * Every key with its state and where it is kept ({@code source}): the stored ones newest first,
   * retired ones included, or the files' ones in their configured order, without times.
   */
  private AdminResponse states() {
    ObjectNode out = json.createObjectNode();
    ArrayNode array = out.putArray("keys");
    if (inStore) {
      keys.list().forEach(k -> array.add(view(k).put("source", "store")));
    } else {
      List<String> kids = fileKids.get();
      for (int i = 0; i < kids.size(); i++) {
        // The first file signs; a key whose file is removed is simply gone, so none is retired here.
        array.addObject().put("kid", kids.get(i)).put("state", (i == 0 ? State.ACTIVE : State.VERIFY).wireName())
            .putNull("createdAt").putNull("updatedAt").put("source", "files");
      }
    }
    return AdminResponse.ok(out);
  }

  private NewSigningKey generate() {
    try {
      return generator.generate();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private ObjectNode view(StoredSigningKey k) {
    return json.createObjectNode().put("kid", k.kid()).put("state", k.state().wireName())
        .put("createdAt", k.createdAt().toString()).put("updatedAt", k.updatedAt().toString());
  }
}
