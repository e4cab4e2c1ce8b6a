package io.turnstile.proxy.licensing;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import io.turnstile.store.NewSigningKey;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * The license-signing keys: ES256 (P-256) keys, each a file holding the private key as a JSON Web
 * Key or as PEM (an {@code EC PRIVATE KEY}, e.g. from {@code openssl ecparam -name prime256v1
 * -genkey} or Helm's {@code genPrivateKey "ecdsa"}), separate from the registry token keys so that neither kind can stand in for the other. The first
 * key signs; every key verifies, so a rotation lists a new key first and keeps the old one until it
 * is retired by removing it. A missing file is generated, mode 0600. Key ids are RFC 7638
 * thumbprints. With {@code licenseFiles.keySource: store} the same keys are kept, as PKCS#8 PEM, in
 * the store instead ({@link #generateForStore}, {@link #read}).
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

  /** Keys already made (private), the first one signing. */
  public static LicenseKeys of(List<ECKey> keys) {
    return new LicenseKeys(keys);
  }

  /** Keys from PEM texts (private keys), the first one signing: keys kept in the store. */
  public static LicenseKeys read(List<String> pems) throws IOException {
    List<ECKey> keys = new ArrayList<>();
    for (int i = 0; i < pems.size(); i++) {
      keys.add(parse("license-signing key " + i, pems.get(i)));
    }
    return new LicenseKeys(keys);
  }

  /** A new key to keep in the store: its key id (thumbprint) and its private key as PKCS#8 PEM. */
  public static NewSigningKey generateForStore() throws IOException {
    ECKey key = generate();
    java.io.StringWriter pem = new java.io.StringWriter();
    try (org.bouncycastle.openssl.jcajce.JcaPEMWriter w = new org.bouncycastle.openssl.jcajce.JcaPEMWriter(pem)) {
      w.writeObject(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(key.toECPrivateKey(), null));
    } catch (JOSEException e) {
      throw new IOException("cannot write a license-signing key: " + e.getMessage(), e);
    }
    return new NewSigningKey(key.getKeyID(), pem.toString());
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
      jwk = text.strip().startsWith("-----BEGIN") ? fromPem(text) : JWK.parse(text.strip());
    } catch (ParseException | java.security.GeneralSecurityException e) {
      throw new IOException(source + ": not a JSON Web Key or a PEM EC private key: " + e.getMessage(), e);
    }
    if (!(jwk instanceof ECKey ec) || !Curve.P_256.equals(ec.getCurve()) || !ec.isPrivate()) {
      throw new IOException(source + ": must hold a private EC P-256 key (ES256), as a JSON Web Key or PEM");
    }
    try {
      // The key id is always the thumbprint, whatever the file says, so ids cannot collide.
      return new ECKey.Builder(ec).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.ES256).keyIDFromThumbprint().build();
    } catch (JOSEException e) {
      throw new IOException(source + ": " + e.getMessage(), e);
    }
  }

  /**
   * A P-256 private key from PEM (SEC1 {@code EC PRIVATE KEY} or PKCS#8 {@code PRIVATE KEY}). The
   * public key is derived from the private one, as not every writer includes it.
   */
  private static ECKey fromPem(String text) throws IOException, java.security.GeneralSecurityException {
    Object o;
    try (org.bouncycastle.openssl.PEMParser parser = new org.bouncycastle.openssl.PEMParser(new java.io.StringReader(text))) {
      o = parser.readObject();
    }
    org.bouncycastle.asn1.pkcs.PrivateKeyInfo info = o instanceof org.bouncycastle.openssl.PEMKeyPair pair
        ? pair.getPrivateKeyInfo() : o instanceof org.bouncycastle.asn1.pkcs.PrivateKeyInfo i ? i : null;
    if (info == null) {
      throw new java.security.GeneralSecurityException("no private key in the PEM");
    }
    java.security.PrivateKey key = new org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter().getPrivateKey(info);
    if (!(key instanceof java.security.interfaces.ECPrivateKey ec)) {
      throw new java.security.GeneralSecurityException("not an EC key");
    }
    org.bouncycastle.math.ec.ECPoint q = org.bouncycastle.asn1.x9.ECNamedCurveTable.getByName("secp256r1").getG()
        .multiply(ec.getS()).normalize();
    java.security.spec.ECPoint w = new java.security.spec.ECPoint(q.getAffineXCoord().toBigInteger(),
        q.getAffineYCoord().toBigInteger());
    java.security.interfaces.ECPublicKey pub = (java.security.interfaces.ECPublicKey) java.security.KeyFactory
        .getInstance("EC").generatePublic(new java.security.spec.ECPublicKeySpec(w, ec.getParams()));
    if (Curve.forECParameterSpec(ec.getParams()) != Curve.P_256) {
      throw new java.security.GeneralSecurityException("not on P-256");
    }
    return new ECKey.Builder(Curve.P_256, pub).privateKey(ec).build();
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
