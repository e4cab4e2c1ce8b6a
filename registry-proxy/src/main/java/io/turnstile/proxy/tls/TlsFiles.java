package io.turnstile.proxy.tls;

import io.turnstile.config.TlsConfig;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The bytes of a listener's TLS files as read at one moment. Comparing contents, not modification
 * times, sees every replacement: a Kubernetes secret swaps a symbolic link, cert-manager may write
 * within the file system's timestamp granularity, and a copy may keep the old time.
 */
record TlsFiles(String field, TlsConfig config, byte[] certificate, byte[] privateKey, byte[] chain) {
  /** Reads every configured file. */
  static TlsFiles read(String field, TlsConfig config) throws TlsMaterialException {
    return new TlsFiles(field, config,
        read(field + ".certificate", config.certificate()),
        read(field + ".privateKey", config.privateKey()),
        config.chain() == null ? null : read(field + ".chain", config.chain()));
  }

  private static byte[] read(String field, Path file) throws TlsMaterialException {
    try {
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new TlsMaterialException(field, file + ": file not found");
    } catch (AccessDeniedException e) {
      throw new TlsMaterialException(field, file + ": permission denied");
    } catch (IOException e) {
      throw new TlsMaterialException(field, file + ": cannot read: " + e.getMessage());
    }
  }

  /** Whether {@code other} holds the same bytes in every file. */
  boolean sameAs(TlsFiles other) {
    return other != null
        && Arrays.equals(certificate, other.certificate)
        && Arrays.equals(privateKey, other.privateKey)
        && Arrays.equals(chain, other.chain);
  }
}
