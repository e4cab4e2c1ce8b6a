package io.turnstile.benchmarks;

import io.turnstile.config.ApplicationConfig;
import io.turnstile.config.RepositoryConfig;
import io.turnstile.config.StoreConfig;
import io.turnstile.store.Catalog;
import io.turnstile.store.CustomerImport;
import io.turnstile.store.LicenseStore;
import io.turnstile.store.NewLicense;
import io.turnstile.store.StoreFactory;
import io.turnstile.testkit.TurnstileProcess;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A store of 100,000 licenses granting 1,000,000 versions: how long the proxy takes to start on it
 * and how much memory its snapshot takes. Usage: {@code ScaleBenchmark [--quick] REPORT.md}.
 */
public final class ScaleBenchmark {
  private ScaleBenchmark() {}

  public static void main(String[] args) throws Exception {
    boolean quick = List.of(args).contains("--quick");
    Path out = Path.of(args[args.length - 1]);
    int licenses = quick ? 10_000 : 100_000;
    int versions = 10;
    Path dir = Files.createTempDirectory("turnstile-scale");
    Path tsDir = dir.resolve("turnstile");
    Files.createDirectories(tsDir);
    StoreConfig config = new StoreConfig("jdbc:sqlite:" + tsDir.resolve("turnstile.db"), null, null, null,
        tsDir.resolve("store.key"), 2);
    Catalog catalog = new Catalog(List.of(new ApplicationConfig("app", List.of(
        new RepositoryConfig("vendor/app", "vendor", null, null), new RepositoryConfig("charts/app", "vendor", null, null)))));
    long t0 = System.nanoTime();
    try (LicenseStore store = StoreFactory.open(config, catalog, Clock.systemUTC())) {
      fill(store, licenses, versions);
    }
    double fillSeconds = (System.nanoTime() - t0) / 1e9;

    List<Double> loads = new ArrayList<>();
    long bytes = 0;
    for (int i = 0; i < 3; i++) {
      long before = usedHeap();
      long start = System.nanoTime();
      LicenseStore store = StoreFactory.open(config, catalog, Clock.systemUTC());
      loads.add((System.nanoTime() - start) / 1e9);
      long after = usedHeap();
      if (store.snapshot().licenses().size() != licenses) {
        throw new IllegalStateException("snapshot holds " + store.snapshot().licenses().size());
      }
      bytes = after - before;
      store.close();
    }

    List<Double> starts = new ArrayList<>();
    for (int i = 0; i < (quick ? 1 : 3); i++) {
      long start = System.nanoTime();
      try (TurnstileProcess ts = new TurnstileProcess(tsDir).start("http://127.0.0.1:9", "vendor", "unused")) {
        starts.add((System.nanoTime() - start) / 1e9);
      }
    }
    StringBuilder r = new StringBuilder();
    r.append("### 5. Authorization at scale: ").append(String.format("%,d", licenses)).append(" licenses, ")
        .append(String.format("%,d", licenses * versions)).append(" granted versions\n\n");
    r.append(String.format("- filling the SQLite store: %.1f s%n", fillSeconds));
    r.append("- loading the snapshot in-process (migrations check + 4 queries + indexes): ")
        .append(Stats.of(loads).format("s", "%.2f")).append('\n');
    r.append("- `turnstile serve` from process start to answering `/v2/` (JVM start included): ")
        .append(Stats.of(starts).format("s", "%.2f")).append('\n');
    r.append(String.format("- snapshot heap after GC: %,d bytes, %,d bytes per license (10 versions each)%n", bytes, bytes / licenses));
    Files.writeString(out, r.toString());
    System.out.println(r);
    System.exit(0);
  }

  private static long usedHeap() throws InterruptedException {
    for (int i = 0; i < 4; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** Ten licenses per customer, imported in one transaction of batched inserts. */
  private static void fill(LicenseStore store, int licenses, int versions) {
    int customers = Math.max(1, licenses / 10);
    List<List<NewLicense>> byCustomer = new ArrayList<>(customers);
    for (int c = 0; c < customers; c++) {
      byCustomer.add(new ArrayList<>());
    }
    for (int i = 0; i < licenses; i++) {
      List<String> granted = new ArrayList<>(versions);
      for (int k = 0; k < versions; k++) {
        granted.add("1." + k + "." + (i % 7));
      }
      byCustomer.get(i % customers).add(new NewLicense("license " + i, null, "app", null, granted, null));
    }
    List<CustomerImport> batch = new ArrayList<>(customers);
    for (int c = 0; c < customers; c++) {
      batch.add(new CustomerImport("Customer " + c, byCustomer.get(c)));
    }
    store.importCustomers(batch, "scale-benchmark");
  }
}
