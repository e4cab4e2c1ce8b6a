package io.turnstile.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ShardedMapTest {
  private static ShardedMap<String, Integer> of(int n) {
    ShardedMap.Editor<String, Integer> e = ShardedMap.<String, Integer>empty().edit();
    for (int i = 0; i < n; i++) {
      e.put("k" + i, i);
    }
    return e.build();
  }

  @Test
  void holdsWhatWasPut() {
    ShardedMap<String, Integer> m = of(10_000);
    assertThat(m.size()).isEqualTo(10_000);
    for (int i = 0; i < 10_000; i++) {
      assertThat(m.get("k" + i)).isEqualTo(i);
    }
    assertThat(m.get("absent")).isNull();
    assertThat(m.values()).hasSize(10_000).containsAll(List.of(0, 1, 9_999));
    assertThat(ShardedMap.empty().values()).isEmpty();
  }

  @Test
  void anEdit_copiesOnlyTheShardsOfItsKeys_andLeavesTheOriginalAlone() {
    ShardedMap<String, Integer> before = of(10_000);
    ShardedMap.Editor<String, Integer> e = before.edit();
    e.put("k1", -1);
    e.put("new", 42);
    assertThat(e.remove("k2")).isEqualTo(2);
    assertThat(e.remove("absent")).isNull();
    ShardedMap<String, Integer> after = e.build();

    assertThat(after.sharedShards(before)).isBetween(ShardedMap.SHARDS - 3, ShardedMap.SHARDS - 1);
    assertThat(after.size()).isEqualTo(10_000);
    assertThat(after.get("k1")).isEqualTo(-1);
    assertThat(after.get("new")).isEqualTo(42);
    assertThat(after.get("k2")).isNull();
    assertThat(before.size()).isEqualTo(10_000);
    assertThat(before.get("k1")).isEqualTo(1);
    assertThat(before.get("new")).isNull();
    assertThat(before.get("k2")).isEqualTo(2);
  }

  @Test
  void keysSpreadOverTheShards() {
    ShardedMap<String, Integer> m = of(100_000);
    assertThat(m.sharedShards(ShardedMap.empty())).as("empty shards left at 100 keys a shard").isZero();
  }

  @Test
  void snapshotWrite_copiesOnlyTheChangedCustomersShards() {
    Instant t = Instant.parse("2026-01-01T00:00:00Z");
    Map<CustomerId, Snapshot.CustomerEntry> customers = new HashMap<>();
    for (int c = 0; c < 1_000; c++) {
      customers.put(new CustomerId("cus_" + c), entry(c, 10, t));
    }
    Snapshot before = new Snapshot(StoreFixture.CATALOG, customers);
    assertThat(before.licenses()).hasSize(10_000);

    Snapshot after = before.with(new CustomerId("cus_7"), entry(7, 11, t));
    // One customer shard, and at most one shard per old and new key in each of the other maps.
    int touched = 1 + 3 * (10 + 11);
    assertThat(Snapshot.mapShards() - after.sharedShards(before)).isBetween(1, touched);
    assertThat(after.licenses()).hasSize(10_001);
    assertThat(after.license(new LicenseId("lic_7_10"))).isNotNull();
    assertThat(before.license(new LicenseId("lic_7_10"))).as("the base is unchanged").isNull();

    Snapshot gone = after.with(new CustomerId("cus_7"), null);
    assertThat(Snapshot.mapShards() - gone.sharedShards(after)).isBetween(1, 1 + 3 * 11);
    assertThat(gone.licenses()).hasSize(9_990);
    assertThat(gone.accessFor("lk_7_0", t)).isEqualTo(Refusal.BAD_CREDENTIALS);
    assertThat(gone.accessFor("lk_8_0", t)).isInstanceOf(Access.class);
  }

  private static Snapshot.CustomerEntry entry(int c, int licenses, Instant t) {
    CustomerId id = new CustomerId("cus_" + c);
    List<Snapshot.LicenseEntry> entries = new ArrayList<>();
    for (int j = 0; j < licenses; j++) {
      License l = new License(new LicenseId("lic_" + c + "_" + j), id, "l", "app", null, null, List.of("1.0.0"),
          "lk_" + c + "_" + j, null, t, t);
      entries.add(new Snapshot.LicenseEntry(l, "hash_" + c + "_" + j));
    }
    return new Snapshot.CustomerEntry(new Customer(id, "c" + c, t), List.of(), entries);
  }
}
