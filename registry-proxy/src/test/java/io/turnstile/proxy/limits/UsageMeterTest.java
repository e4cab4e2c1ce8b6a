package io.turnstile.proxy.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.turnstile.config.ApplicationConfig;
import io.turnstile.config.LimitConfig;
import io.turnstile.config.LimitsConfig;
import io.turnstile.config.RepositoryConfig;
import io.turnstile.proxy.oci.Denial;
import io.turnstile.proxy.oci.RegistryError;
import io.turnstile.proxy.oci.RegistryException;
import io.turnstile.store.CustomerId;
import io.turnstile.store.License;
import io.turnstile.store.LicenseId;
import io.turnstile.store.StoreUnavailableException;
import io.turnstile.store.Usage;
import io.turnstile.store.UsageLimit;
import io.turnstile.store.testing.MutableClock;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The meter against a store held in memory that can be made unreachable: counts kept through an
 * outage are added once when it answers again, refusals carry the words and Retry-After, the
 * licenses' own limits override their application's, and a period's end starts from zero.
 */
class UsageMeterTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-12-07T22:00:00Z"));
  private final MemoryUsage store = new MemoryUsage();
  private final License license = new License(new LicenseId("lic_a"), new CustomerId("cus_a"), "", "app", null, null,
      List.of("1.0.0"), "key", null, clock.instant(), clock.instant());

  private UsageMeter meter(LimitsConfig limits) {
    return new UsageMeter(store, null, new LimitRules(List.of(new ApplicationConfig("app",
        List.of(new RepositoryConfig("vendor/app", "up", null, null)), List.of(), limits))), new Periods(clock), null,
        false);
  }

  private Usage.Key key(UsageLimit limit, String period) {
    return new Usage.Key(license.id(), limit, period);
  }

  @Test
  void countsKeptWhileTheStoreIsAway_areAddedOnce_whenItAnswers() {
    UsageMeter m = meter(new LimitsConfig(new LimitConfig(100L, "enforce"), null, null));
    m.manifestPulled(license);
    store.down = true;
    assertThatThrownBy(m::flush).isInstanceOf(StoreUnavailableException.class);
    assertThat(m.failing()).isTrue();
    m.manifestPulled(license);
    assertThatThrownBy(m::flush).isInstanceOf(StoreUnavailableException.class);
    store.down = false;
    m.flush();
    assertThat(m.failing()).isFalse();
    assertThat(store.counts).containsEntry(key(UsageLimit.MANIFEST_PULLS, "2026-12-07"), 2L);
    m.flush();
    assertThat(store.counts).as("nothing added twice").containsEntry(key(UsageLimit.MANIFEST_PULLS, "2026-12-07"), 2L);
  }

  @Test
  void anEnforcedLimitUsedUp_isRefusedWithItsWordsAndRetryAfter_aWatchedOneIsNot() throws Exception {
    UsageMeter m = meter(new LimitsConfig(null, new LimitConfig(2L << 30, "enforce"), null));
    m.check(license, true, null, null);
    m.blobBytes(license, 2L << 30);
    assertThatThrownBy(() -> m.check(license, false, null, null)).isInstanceOfSatisfying(RegistryException.class, e -> {
      assertThat(e.error()).isEqualTo(RegistryError.TOO_MANY_REQUESTS);
      assertThat(e.denial()).isEqualTo(Denial.LIMIT_REACHED);
      assertThat(e.getMessage()).isEqualTo("license lic_a has used its 2 GiB for December; it resets on 2027-01-01");
      assertThat(e.headers()).containsEntry("Retry-After", Long.toString(Duration.ofDays(24).plusHours(2).toSeconds()));
    });
    store.overrides.add(new Usage.LimitOverride(license.id(), UsageLimit.BLOB_BYTES, 2L << 30, false, clock.instant()));
    m.flush();
    m.check(license, false, null, null);
    assertThat(m.uses(license)).singleElement().satisfies(u -> {
      assertThat(u.rule().own()).isTrue();
      assertThat(u.used()).isEqualTo(2L << 30);
    });
  }

  @Test
  void aNewDay_startsTheDailyCountsFromZero_andAKnownAddressGoesOnWorking() throws Exception {
    UsageMeter m = meter(new LimitsConfig(new LimitConfig(1L, "enforce"), null, new LimitConfig(1L, "enforce")));
    InetAddress one = InetAddress.getByName("10.0.0.1");
    InetAddress two = InetAddress.getByName("10.0.0.2");
    m.check(license, true, one, "docker");
    m.manifestPulled(license);
    assertThatThrownBy(() -> m.check(license, false, two, "helm")).hasMessageContaining("1 client addresses for 2026-12-07");
    assertThatThrownBy(() -> m.check(license, true, one, "docker")).hasMessageContaining("1 manifest pulls");
    m.check(license, false, one, "docker");
    m.flush();
    assertThat(store.addresses).extracting(Usage.Address::address).containsExactly("10.0.0.1");

    clock.advance(Duration.ofHours(3));
    m.check(license, true, two, "helm");
    m.flush();
    assertThat(m.uses(license)).extracting(UsageMeter.Use::period).containsOnly("2026-12-08");
  }

  /** A store in memory whose calls, but for the overrides, fail while {@link #down}. */
  private static final class MemoryUsage implements Usage {
    final Map<Key, Long> counts = new HashMap<>();
    final List<Address> addresses = new ArrayList<>();
    final List<LimitOverride> overrides = new ArrayList<>();
    boolean down;

    private void reach() {
      if (down) {
        throw new StoreUnavailableException("down", null);
      }
    }

    @Override
    public Map<Key, Long> add(Map<Key, Long> deltas, Collection<Address> seen) {
      reach();
      deltas.forEach((k, d) -> {
        if (k.limit() != UsageLimit.ADDRESSES) {
          counts.merge(k, d, Long::sum);
        }
      });
      for (Address a : seen) {
        if (addresses.stream().noneMatch(b -> b.license().equals(a.license()) && b.day().equals(a.day())
            && b.address().equals(a.address()))) {
          addresses.add(a);
        }
      }
      List<Key> keys = new ArrayList<>(deltas.keySet());
      seen.forEach(a -> keys.add(new Key(a.license(), UsageLimit.ADDRESSES, a.day())));
      return totals(keys);
    }

    @Override
    public Map<Key, Long> totals(Collection<Key> keys) {
      reach();
      Map<Key, Long> out = new HashMap<>();
      for (Key k : keys) {
        out.put(k, k.limit() == UsageLimit.ADDRESSES
            ? addresses.stream().filter(a -> a.license().equals(k.license()) && a.day().equals(k.period())).count()
            : counts.getOrDefault(k, 0L));
      }
      return out;
    }

    @Override
    public List<Address> addresses(LicenseId license, String day) {
      reach();
      return addresses.stream().filter(a -> a.license().equals(license) && a.day().equals(day)).toList();
    }

    @Override
    public Map<LicenseId, Long> addressCounts(String day) {
      reach();
      return Map.of();
    }

    @Override
    public List<LimitOverride> overrides() {
      // Answers even while down: the flush then fails at the addition, after taking the counts.
      return List.copyOf(overrides);
    }

    @Override
    public LimitOverride setOverride(LicenseId license, UsageLimit limit, long amount, boolean enforced, String actor) {
      throw new UnsupportedOperationException();
    }

    @Override
    public boolean clearOverride(LicenseId license, UsageLimit limit, String actor) {
      throw new UnsupportedOperationException();
    }
  }
}
