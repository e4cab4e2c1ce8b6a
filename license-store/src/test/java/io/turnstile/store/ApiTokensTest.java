package io.turnstile.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.turnstile.store.testing.MutableClock;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiTokensTest {
  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(StoreFixture.T0);
  private LicenseStore store;

  @BeforeEach
  void open() throws Exception {
    store = StoreFixture.open(dir, clock);
  }

  @AfterEach
  void close() {
    store.close();
  }

  private IssuedApiToken create(String name) {
    return store.apiTokens().create(name, "alice@vendor.example", "editor", StoreFixture.T0.plus(Duration.ofDays(30)),
        "alice@vendor.example");
  }

  @Test
  void aNewToken_looksLikeTsa_isAccepted_andIsStoredAsItsHashOnly() throws Exception {
    IssuedApiToken issued = create("deploy");
    assertThat(issued.secret()).startsWith("tsa_").hasSize(4 + 43);
    assertThat(issued.toString()).doesNotContain(issued.secret().substring(4));
    ApiToken t = store.apiTokens().authenticate(issued.secret());
    assertThat(t).isNotNull();
    assertThat(t.name()).isEqualTo("deploy");
    assertThat(t.owner()).isEqualTo("alice@vendor.example");
    assertThat(t.role()).isEqualTo("editor");

    List<String> stored = new ArrayList<>();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("turnstile.db"));
        ResultSet r = c.createStatement().executeQuery("SELECT * FROM api_tokens")) {
      while (r.next()) {
        for (int i = 1; i <= r.getMetaData().getColumnCount(); i++) {
          stored.add(r.getString(i));
        }
      }
    }
    assertThat(stored).doesNotContain(issued.secret()).contains(Keys.hash(issued.secret()));
  }

  @Test
  void aRevokedToken_isRefusedAtOnce_andStaysListed() {
    IssuedApiToken issued = create("deploy");
    ApiToken revoked = store.apiTokens().revoke(issued.token().id(), "admin-token");
    assertThat(revoked.revokedAt()).isEqualTo(StoreFixture.T0);
    assertThat(store.apiTokens().authenticate(issued.secret())).isNull();
    assertThat(store.apiTokens().list()).extracting(ApiToken::id).containsExactly(issued.token().id());
  }

  @Test
  void anExpiredToken_isRefused() {
    IssuedApiToken issued = create("deploy");
    clock.advance(Duration.ofDays(30));
    assertThat(store.apiTokens().authenticate(issued.secret())).isNull();
  }

  @Test
  void unknownOrMalformedSecrets_areRefused() {
    create("deploy");
    assertThat(store.apiTokens().authenticate(Keys.newApiToken())).isNull();
    assertThat(store.apiTokens().authenticate("tsk_not-an-api-token")).isNull();
    assertThat(store.apiTokens().authenticate(null)).isNull();
  }

  @Test
  void badInput_isRefusedNamingTheField() {
    Instant later = StoreFixture.T0.plus(Duration.ofDays(1));
    assertThatThrownBy(() -> store.apiTokens().create("has space", "a", "viewer", later, "a"))
        .isInstanceOf(InvalidInputException.class).hasMessageStartingWith("name:");
    assertThatThrownBy(() -> store.apiTokens().create("x", "a", "viewer", StoreFixture.T0, "a"))
        .isInstanceOf(InvalidInputException.class).hasMessageStartingWith("expiresAt:");
    assertThatThrownBy(() -> store.apiTokens().create("x", "a", "viewer", null, "a"))
        .isInstanceOf(InvalidInputException.class).hasMessageStartingWith("expiresAt:");
    assertThatThrownBy(() -> store.apiTokens().create("x", " ", "viewer", later, "a"))
        .isInstanceOf(InvalidInputException.class).hasMessageStartingWith("owner:");
    assertThatThrownBy(() -> store.apiTokens().revoke("at_nope", "a")).isInstanceOf(NoSuchApiTokenException.class);
  }

  @Test
  void lastUse_isListedAtOnce_andWrittenInABatch_thatOutlivesTheProcess() throws Exception {
    IssuedApiToken issued = create("deploy");
    clock.advance(Duration.ofMinutes(5));
    store.apiTokens().authenticate(issued.secret());
    Instant used = clock.instant();
    clock.advance(Duration.ofMinutes(1));
    assertThat(store.apiTokens().get(issued.token().id()).lastUsedAt()).isEqualTo(used);
    store.close();
    store = StoreFixture.open(dir, clock);
    assertThat(store.apiTokens().list().get(0).lastUsedAt()).isEqualTo(used);
  }

  @Test
  void creationAndRevocation_areInTheActivityLog_namingWhoDidThem() {
    IssuedApiToken issued = create("deploy");
    store.apiTokens().revoke(issued.token().id(), "admin-token");
    ActivityPage page = store.activity().find(new ActivityQuery(null, null, null, null, null, 10, null));
    assertThat(page.records()).extracting(ActivityRecord::action, ActivityRecord::actor)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("api_token.revoked", "admin-token"),
            org.assertj.core.groups.Tuple.tuple("api_token.created", "alice@vendor.example"));
    assertThat(page.records().get(1).detail()).contains("deploy", "role editor").doesNotContain(issued.secret());
  }
}
