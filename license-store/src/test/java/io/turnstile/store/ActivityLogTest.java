package io.turnstile.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.turnstile.store.testing.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ActivityLogTest {
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

  private List<ActivityRecord> find(String actor, CustomerId customer, LicenseId license, Instant since, Instant until) {
    return store.activity().find(new ActivityQuery(actor, customer, license, since, until, 100, null)).records();
  }

  @Test
  void changesAcrossCustomers_areListedNewestFirst_andFilterByActorCustomerLicenseAndTime() {
    CustomerId acme = store.createCustomer("Acme", "alice@vendor.example").id();
    clock.advance(Duration.ofHours(1));
    CustomerId globex = store.createCustomer("Globex", "bob@vendor.example").id();
    IssuedKey key = store.createLicense(new NewLicense("prod", globex, "app", null, List.of("1.0.0"), null),
        "bob@vendor.example");
    clock.advance(Duration.ofHours(1));
    store.activity().record("carol@vendor.example", "sign_in.succeeded", "from 192.0.2.1");

    assertThat(find(null, null, null, null, null)).extracting(ActivityRecord::action)
        .containsExactly("sign_in.succeeded", "license.created", "customer.created", "customer.created");
    assertThat(find("alice@vendor.example", null, null, null, null)).extracting(ActivityRecord::customerId)
        .containsExactly(acme.value());
    assertThat(find(null, globex, null, null, null)).hasSize(2);
    assertThat(find(null, null, new LicenseId(key.username()), null, null)).extracting(ActivityRecord::action)
        .containsExactly("license.created");
    assertThat(find(null, null, null, StoreFixture.T0.plus(Duration.ofMinutes(30)), StoreFixture.T0.plus(Duration.ofMinutes(90))))
        .extracting(ActivityRecord::actor).containsOnly("bob@vendor.example");
  }

  @Test
  void pages_followTheCursor_untilTheLast() {
    for (int i = 0; i < 5; i++) {
      store.createCustomer("c" + i, "t");
    }
    List<ActivityRecord> all = new ArrayList<>();
    ActivityQuery q = new ActivityQuery(null, null, null, null, null, 2, null);
    int pages = 0;
    while (true) {
      ActivityPage page = store.activity().find(q);
      all.addAll(page.records());
      pages++;
      if (page.next() == null) {
        break;
      }
      q = q.after(page.next());
    }
    assertThat(pages).isEqualTo(3);
    assertThat(all).hasSize(5);
    ActivityQuery bad = q.after("x");
    assertThatThrownBy(() -> store.activity().find(bad)).isInstanceOf(InvalidInputException.class);
  }

  @Test
  void onlySignInsAreRecordedWithoutAChange() {
    assertThatThrownBy(() -> store.activity().record("a", "license.created", null))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
