package io.turnstile.proxy.licensing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jwt.JWTClaimsSet;
import io.turnstile.proxy.oci.RegistryError;
import io.turnstile.proxy.oci.RegistryException;
import io.turnstile.proxy.token.LoginGuard;
import io.turnstile.store.Access;
import io.turnstile.store.AuthResult;
import io.turnstile.store.License;
import io.turnstile.store.LicenseId;
import io.turnstile.store.LicenseStore;
import io.turnstile.store.Refusal;
import java.io.IOException;
import java.net.InetAddress;
import java.util.Iterator;
import java.util.Set;

/**
 * The online check, {@code POST /v1/licenses/validate} on the public listener: a connected install
 * sends its license id and key ({@code {"licenseId": "lic_...", "key": "tsk_..."}}) or its license
 * file ({@code {"file": "eyJ..."}}), optionally with a {@code nonce}, and gets the license's state
 * now (active, expired, revoked), expiry and entitlements as a signed answer ({@link
 * LicenseFiles#checkAnswer}), so a revoked license is seen at once.
 *
 * <p>A key goes through the {@link LoginGuard} like a registry login: a wrong key is refused
 * exactly as an unknown license is, counts against the client's failed-login budget, and once that
 * is spent every check from the address is answered {@code 429}, right key or not. A file must
 * verify with a current license-signing key; its id then stands for the key. Reads only the
 * in-memory snapshot: cheap enough for the event loop, as the token endpoint is.
 */
public final class LicenseCheck {
  /** The path of the check on the public listener. */
  public static final String PATH = "/v1/licenses/validate";
  /** Where the public listener publishes the license-signing public keys (a JWKS). */
  public static final String KEYS_PATH = "/.well-known/license-keys.json";
  private static final Set<String> FIELDS = Set.of("licenseId", "key", "file", "nonce");
  private static final int MAX_NONCE = 128;

  private final LicenseStore store;
  private final LoginGuard logins;
  private final LicenseFiles files;
  private final ObjectMapper json;

  public LicenseCheck(LicenseStore store, LoginGuard logins, LicenseFiles files, ObjectMapper json) {
    this.store = store;
    this.logins = logins;
    this.files = files;
    this.json = json;
  }

  /** The license-signing public keys, for {@code /.well-known/license-keys.json}. */
  public byte[] publicKeys() {
    try {
      return json.writeValueAsBytes(files.keys().publicJwks().toJSONObject());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The signed answer (a compact JWS) for the request {@code body} from {@code client}.
   *
   * @throws RegistryException 400 for a malformed request, 401 for a wrong id, key or file (never
   *     saying which), 429 while the client's failed-login budget is spent
   */
  public String answer(byte[] body, InetAddress client) throws RegistryException {
    JsonNode request = parse(body);
    String nonce = text(request, "nonce");
    if (nonce != null && (nonce.isEmpty() || nonce.length() > MAX_NONCE)) {
      throw bad("nonce must be 1 to " + MAX_NONCE + " characters");
    }
    String file = text(request, "file");
    String licenseId = text(request, "licenseId");
    String key = text(request, "key");
    License license;
    if (file != null) {
      if (licenseId != null || key != null) {
        throw bad("send either a license file or a license id and key, not both");
      }
      license = byFile(file);
    } else {
      if (licenseId == null || key == null) {
        throw bad("licenseId and key are required (or a license file as file)");
      }
      license = byKey(licenseId, key, client);
    }
    return files.checkAnswer(license, nonce);
  }

  private License byKey(String licenseId, String key, InetAddress client) throws RegistryException {
    AuthResult auth = logins.authenticate(licenseId, key, client);
    // A revoked or expired license's own key is the right key: its state is what is asked.
    boolean keyMatches = auth instanceof Access
        || (auth instanceof Refusal r && r.reason() != Refusal.Reason.BAD_CREDENTIALS);
    License license = keyMatches && licenseId.startsWith(LicenseId.PREFIX) ? find(licenseId) : null;
    if (license == null) {
      throw refused();
    }
    return license;
  }

  private License byFile(String file) throws RegistryException {
    JWTClaimsSet claims;
    try {
      claims = LicenseVerifier.files(files.keys().publicJwks()).verify(file);
    } catch (LicenseVerifier.InvalidLicenseFileException e) {
      throw refused();
    }
    License license = find(claims.getSubject());
    if (license == null) {
      throw refused();
    }
    return license;
  }

  /** The license from the in-memory snapshot (null when unknown or its customer is deleted). */
  private License find(String id) {
    return id == null ? null : store.snapshot().license(new LicenseId(id));
  }

  private JsonNode parse(byte[] body) throws RegistryException {
    JsonNode node;
    try {
      node = body == null || body.length == 0 ? null : json.readTree(body);
    } catch (IOException e) {
      throw bad("the body must be a JSON object");
    }
    if (node == null || !node.isObject()) {
      throw bad("the body must be a JSON object");
    }
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!FIELDS.contains(name)) {
        throw bad("unknown field '" + LoginGuard.printable(name) + "' (expected licenseId and key, or file; nonce)");
      }
    }
    return node;
  }

  private static String text(JsonNode request, String field) throws RegistryException {
    JsonNode v = request.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw bad(field + " must be a string");
    }
    return v.asText();
  }

  private static RegistryException bad(String message) {
    return new RegistryException(RegistryError.BAD_REQUEST, message);
  }

  private static RegistryException refused() {
    return new RegistryException(RegistryError.UNAUTHORIZED, "invalid license id and key, or license file");
  }
}
