package io.turnstile.proxy.licensing;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * The license-signing keys: ES256 (P-256) keys, each a JSON Web Key file holding the private key,
 * separate from the registry token keys so that neither kind can stand in for the other. The first
 * key signs; every key verifies, so a rotation lists a new key first and keeps the old one until it
 * is retired by removing it. A missing file is generated, mode 0600. Key ids are RFC 7638
 * thumbprints.
 */
public final class LicenseKeys {
  private final List<ECKey> keys;

  private LicenseKeys(List<ECKey> keys) {
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("at least one license-signing key is needed");
    }
    this.keys = List.copyOf(keys);
  }

  /** Loads every file, generating any that is missing. */
  public static LicenseKeys load(List<Path> files) throws IOException {
    List<ECKey> keys = new ArrayList<>();
    for (Path file : files) {
      if (!Files.exists(file)) {
        write(file, generate());
      }
      keys.add(parse(file.toString(), Files.readString(file)));
    }
    return new LicenseKeys(keys);
  }

  /** Keys from private JWK texts, the first one signing. */
  public static LicenseKeys of(List<ECKey> keys) {
    return new LicenseKeys(keys);
  }

  /** A new private key, its key id its thumbprint. */
  public static ECKey generate() throws IOException {
    try {
      return new ECKeyGenerator(Curve.P_256).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.ES256)
          .keyIDFromThumbprint(true).generate();
    } catch (JOSEException e) {
      throw new IOException("cannot generate a license-signing key: " + e.getMessage(), e);
    }
  }

  /** Writes {@code key} (private) to a new file, mode 0600; a file that appeared meanwhile is kept. */
  public static void write(Path file, ECKey key) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    try {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (FileAlreadyExistsException raced) {
      return;
    }
    Files.writeString(file, key.toJSONString() + "\n");
  }

  private static ECKey parse(String source, String text) throws IOException {
    JWK jwk;
    try {
      jwk = JWK.parse(text.strip());
    } catch (ParseException e) {
      throw new IOException(source + ": not a JSON Web Key: " + e.getMessage(), e);
    }
    if (!(jwk instanceof ECKey ec) || !Curve.P_256.equals(ec.getCurve()) || !ec.isPrivate()) {
      throw new IOException(source + ": must hold a private EC P-256 key (ES256) as a JSON Web Key");
    }
    try {
      // The key id is always the thumbprint, whatever the file says, so ids cannot collide.
      return new ECKey.Builder(ec).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.ES256).keyIDFromThumbprint().build();
    } catch (JOSEException e) {
      throw new IOException(source + ": " + e.getMessage(), e);
    }
  }

  /** The key that signs new files and answers. */
  public ECKey signingKey() {
    return keys.get(0);
  }

  /** The public keys, signing key first: {@code /.well-known/license-keys.json}. */
  public JWKSet publicJwks() {
    return new JWKSet(new ArrayList<JWK>(keys)).toPublicJWKSet();
  }
}
