package io.turnstile.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.turnstile.config.ConfigLoader;
import io.turnstile.config.TurnstileConfig;
import io.turnstile.proxy.testing.TestTurnstile;
import io.turnstile.store.StoreException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A start that fails leaves nothing behind: the store opens beside the rest of the start, so a
 * failure on either side closes what the other opened.
 */
class StartFailuresIT {
  @TempDir Path dir;

  private TurnstileConfig config(Path signingKey) throws Exception {
    return new ConfigLoader(Map.<String, String>of()::get).parse("test.yaml", """
        server:
          listen: 127.0.0.1:0
        admin:
          listen: 127.0.0.1:0
          token: %2$s
        token:
          signingKey: %3$s
        store:
          url: jdbc:sqlite:%1$s/turnstile.db
          encryptionKeyFile: %1$s/store.key
        """.formatted(dir, TestTurnstile.ADMIN_TOKEN, signingKey));
  }

  @Test
  void aStoreThatCannotOpen_failsTheStart_withItsOwnMessage() throws Exception {
    TurnstileConfig config = config(dir.resolve("signing-key.pem"));
    try (TurnstileServer first = TurnstileServer.start(config)) {
      assertThatThrownBy(() -> TurnstileServer.start(config)).isInstanceOf(StoreException.class)
          .hasMessageContaining("is in use by another Turnstile process");
    }
  }

  @Test
  void anUnreadableSigningKey_failsTheStart_andReleasesTheStoreItOpenedMeanwhile() throws Exception {
    Path badKey = Files.writeString(dir.resolve("bad-key.pem"), "-----BEGIN PRIVATE KEY-----\nnot a key\n");
    assertThatThrownBy(() -> TurnstileServer.start(config(badKey))).isInstanceOfAny(IOException.class,
        IllegalArgumentException.class, IllegalStateException.class);
    // The SQLite store is locked while a process holds it open: this start would fail if it were.
    try (TurnstileServer again = TurnstileServer.start(config(dir.resolve("signing-key.pem")))) {
      assertThat(again.registryAddress().getPort()).isPositive();
    }
  }
}
