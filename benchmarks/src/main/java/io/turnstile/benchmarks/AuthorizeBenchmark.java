package io.turnstile.benchmarks;

import io.turnstile.config.ApplicationConfig;
import io.turnstile.config.RepositoryConfig;
import io.turnstile.store.Access;
import io.turnstile.store.AuthResult;
import io.turnstile.store.Catalog;
import io.turnstile.store.Customer;
import io.turnstile.store.CustomerId;
import io.turnstile.store.Keys;
import io.turnstile.store.License;
import io.turnstile.store.LicenseId;
import io.turnstile.store.Snapshot;
import io.turnstile.store.VersionRange;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of one authorization decision: check a license key against the in-memory snapshot and
 * decide whether it grants a tag. Each license grants 10 exact versions, or, for {@code
 * rangePercent} of them, a range instead (one of four expressions, parsed once and shared, as the
 * store loads them); the tags asked for cycle through ten versions, each in the range.
 */
@State(Scope.Benchmark)
@BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class AuthorizeBenchmark {
  @Param({"10000", "100000"})
  int licenses;

  /** The share of licenses, in percent, that grant a range rather than exact versions. */
  @Param({"0", "50"})
  int rangePercent;

  private static final String[] RANGES = {"1.x", "^1.0.0", ">=1.0.0 <2.0.0", "~1"};
  private static final String[] TAGS = new String[10];

  static {
    for (int v = 0; v < TAGS.length; v++) {
      TAGS[v] = "v1." + v + ".0";
    }
  }

  private Snapshot snapshot;
  private String[][] credentials;
  private int next;
  private final Instant now = Instant.parse("2026-06-01T00:00:00Z");

  @Setup(Level.Trial)
  public void setUp() {
    Catalog catalog = new Catalog(List.of(new ApplicationConfig("app", List.of(
        new RepositoryConfig("vendor/app", "up", null, List.of("{version}", "v{version}")),
        new RepositoryConfig("charts/app", "up", null, null)))));
    Map<CustomerId, Snapshot.CustomerEntry> customers = new HashMap<>();
    credentials = new String[licenses][];
    Instant t = Instant.parse("2026-01-01T00:00:00Z");
    int perCustomer = 10;
    VersionRange[] ranges = new VersionRange[RANGES.length];
    for (int r = 0; r < RANGES.length; r++) {
      ranges[r] = VersionRange.parse("range", RANGES[r], false);
    }
    for (int c = 0; c < licenses / perCustomer; c++) {
      CustomerId cid = new CustomerId("cus_" + c);
      List<Snapshot.LicenseEntry> entries = new ArrayList<>();
      for (int j = 0; j < perCustomer; j++) {
        int i = c * perCustomer + j;
        List<String> versions = new ArrayList<>();
        for (int v = 0; v < 10; v++) {
          versions.add(("1." + v + ".0").intern());
        }
        String key = Keys.newKey();
        credentials[i] = new String[] {"lic_" + i, key};
        boolean byRange = i % 100 < rangePercent;
        License l = new License(new LicenseId("lic_" + i), cid, "l", "app", Instant.parse("2027-01-01T00:00:00Z"),
            null, byRange ? List.of() : versions, byRange ? List.of(ranges[i % ranges.length]) : List.of(), false,
            "lk_" + i, null, t, t);
        entries.add(new Snapshot.LicenseEntry(l, Keys.hash(key)));
      }
      customers.put(cid, new Snapshot.CustomerEntry(new Customer(cid, "c", t), List.of(), entries));
    }
    snapshot = new Snapshot(catalog, customers);
  }

  @Benchmark
  public boolean authorizeTag() {
    String[] c = credentials[next];
    next = next + 1 == credentials.length ? 0 : next + 1;
    AuthResult r = snapshot.authenticate(c[0], c[1], now);
    return r instanceof Access a && a.allowsTag("vendor/app", TAGS[next % TAGS.length]);
  }
}
