package io.turnstile.store.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts upstream passwords at rest with AES-256-GCM. The row's id is bound in as associated
 * data, so a ciphertext copied to another row does not decrypt. Format: {@code v1:} and base64 of
 * the 12-byte nonce followed by the ciphertext and tag.
 */
public final class CredentialCipher {
  private static final String VERSION = "v1:";
  private static final int NONCE_BYTES = 12;
  private final SecretKeySpec key;
  private final SecureRandom random = new SecureRandom();

  public CredentialCipher(byte[] key) {
    if (key.length != 32) {
      throw new IllegalArgumentException("the store encryption key must be 32 bytes");
    }
    this.key = new SecretKeySpec(key.clone(), "AES");
  }

  /**
   * The configured key ({@code base64}, may be null) or the one in {@code file}, which is generated
   * with mode 0600 when missing.
   */
  public static CredentialCipher fromConfig(String base64, Path file) throws IOException {
    if (base64 != null) {
      return new CredentialCipher(Base64.getDecoder().decode(base64.trim()));
    }
    if (!Files.exists(file)) {
      byte[] fresh = new byte[32];
      new SecureRandom().nextBytes(fresh);
      Path dir = file.toAbsolutePath().getParent();
      Files.createDirectories(dir);
      try {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, Base64.getEncoder().encodeToString(fresh) + "\n");
      } catch (FileAlreadyExistsException raced) {
        // another process made it first: use theirs
      } catch (UnsupportedOperationException notPosix) {
        Files.writeString(file, Base64.getEncoder().encodeToString(fresh) + "\n");
      }
    }
    byte[] key;
    try {
      key = Base64.getDecoder().decode(Files.readString(file).trim());
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": not base64 of a 32-byte key");
    }
    if (key.length != 32) {
      throw new IOException(file + ": not base64 of a 32-byte key");
    }
    return new CredentialCipher(key);
  }

  public String encrypt(String plaintext, String boundTo) {
    try {
      byte[] nonce = new byte[NONCE_BYTES];
      random.nextBytes(nonce);
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
      c.updateAAD(boundTo.getBytes(StandardCharsets.UTF_8));
      byte[] ct = c.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
      byte[] out = Arrays.copyOf(nonce, NONCE_BYTES + ct.length);
      System.arraycopy(ct, 0, out, NONCE_BYTES, ct.length);
      return VERSION + Base64.getEncoder().encodeToString(out);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
  }

  public String decrypt(String sealed, String boundTo) {
    if (!sealed.startsWith(VERSION)) {
      throw new IllegalStateException("unknown credential encryption format");
    }
    try {
      byte[] in = Base64.getDecoder().decode(sealed.substring(VERSION.length()));
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, in, 0, NONCE_BYTES));
      c.updateAAD(boundTo.getBytes(StandardCharsets.UTF_8));
      return new String(c.doFinal(in, NONCE_BYTES, in.length - NONCE_BYTES), StandardCharsets.UTF_8);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(
          "cannot decrypt stored upstream credentials: is store.encryptionKey the key they were written with?", e);
    }
  }
}
