package io.turnstile.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.turnstile.store.StoredSigningKey.State;
import io.turnstile.store.testing.MutableClock;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Signing keys kept in the store: both purposes, apart, on SQLite. */
class StoredKeysTest {
  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(StoreFixture.T0);
  /** Opened for each test, closed after it. */
  private final java.util.Deque<LicenseStore> opened = new java.util.ArrayDeque<>();

  private LicenseStore store() throws Exception {
    if (opened.isEmpty()) {
      opened.push(StoreFixture.open(dir, clock));
    }
    return opened.peek();
  }

  @AfterEach
  void closeAll() {
    opened.forEach(LicenseStore::close);
  }

  @Test
  void tokenAndLicenseKeys_liveApart_noKidOfOneKindIsFoundAsTheOther() throws Exception {
    StoredKeys tokens = store().keys(KeyPurpose.TOKEN);
    StoredKeys licenses = store().keys(KeyPurpose.LICENSE);
    tokens.ensureSigner(() -> new NewSigningKey("tok-1", "token-pem"), "turnstile");
    licenses.ensureSigner(() -> new NewSigningKey("lic-1", "license-pem"), "turnstile");

    assertThat(tokens.list()).extracting(StoredSigningKey::kid).containsExactly("tok-1");
    assertThat(licenses.list()).extracting(StoredSigningKey::kid).containsExactly("lic-1");
    assertThat(licenses.list().get(0).state()).as("each kind has its own signer").isEqualTo(State.ACTIVE);
    assertThat(tokens.list().get(0).state()).isEqualTo(State.ACTIVE);
    assertThatThrownBy(() -> licenses.activate("tok-1", "admin")).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("no license-signing key tok-1");
    assertThatThrownBy(() -> tokens.retire("lic-1", "admin")).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("no signing key lic-1");
    assertThatThrownBy(() -> licenses.add(new NewSigningKey("tok-1", "x"), "admin"))
        .isInstanceOf(ConflictException.class);
    assertThat(tokens.list()).extracting(StoredSigningKey::state).containsExactly(State.ACTIVE);
  }

  @Test
  void aLicenseKeyRotation_addsVerifyOnly_activatesOneSignerAtATime_andRefusesRetiringTheSigner() throws Exception {
    StoredKeys keys = store().keys(KeyPurpose.LICENSE);
    keys.ensureSigner(() -> new NewSigningKey("old", "old-pem"), "turnstile");
    assertThat(keys.ensureSigner(() -> {
      throw new AssertionError("a store with a signer generates none");
    }, "turnstile")).hasSize(1);

    assertThat(keys.add(new NewSigningKey("new", "new-pem"), "alice").state()).isEqualTo(State.VERIFY);
    clock.advance(java.time.Duration.ofMinutes(5));
    StoredSigningKey activated = keys.activate("new", "alice");
    assertThat(activated.state()).isEqualTo(State.ACTIVE);
    assertThat(activated.createdAt()).as("added at the start").isEqualTo(StoreFixture.T0);
    assertThat(activated.updatedAt()).as("its state changed five minutes later")
        .isEqualTo(StoreFixture.T0.plus(java.time.Duration.ofMinutes(5)));
    assertThat(keys.list()).filteredOn(k -> k.kid().equals("old")).extracting(StoredSigningKey::state)
        .containsExactly(State.VERIFY);
    assertThatThrownBy(() -> keys.retire("new", "alice")).isInstanceOf(ConflictException.class)
        .hasMessage("license-signing key new signs new license files: activate another one first");
    assertThat(keys.retire("old", "alice").state()).isEqualTo(State.RETIRED);
    assertThatThrownBy(() -> keys.activate("old", "alice")).isInstanceOf(ConflictException.class)
        .hasMessageContaining("is retired");

    List<ActivityRecord> log = store().activity().find(new ActivityQuery("alice", null, null, null, null, 100, null))
        .records();
    assertThat(log).extracting(ActivityRecord::action)
        .containsExactly("license_key.retired", "license_key.activated", "license_key.added");
  }

  @Test
  void aLicenseKeysPem_isKeptEncrypted_andSurvivesAReopen() throws Exception {
    store().keys(KeyPurpose.LICENSE).ensureSigner(() -> new NewSigningKey("lic", "-----BEGIN PRIVATE KEY-----x"), "t");
    List<String> stored = new ArrayList<>();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("turnstile.db"));
        ResultSet r = c.createStatement().executeQuery("SELECT kid, purpose, pem_enc FROM signing_keys")) {
      while (r.next()) {
        stored.add(r.getString(1) + " " + r.getString(2) + " " + r.getString(3));
      }
    }
    assertThat(stored).hasSize(1);
    assertThat(stored.get(0)).startsWith("lic license v1:").doesNotContain("PRIVATE");

    opened.pop().close();
    assertThat(store().keys(KeyPurpose.LICENSE).list()).extracting(StoredSigningKey::pem)
        .containsExactly("-----BEGIN PRIVATE KEY-----x");
    assertThat(store().keys(KeyPurpose.TOKEN).list()).isEmpty();
  }
}
