package io.turnstile.benchmarks;

import io.turnstile.config.ApplicationConfig;
import io.turnstile.config.RepositoryConfig;
import io.turnstile.config.StoreConfig;
import io.turnstile.store.Catalog;
import io.turnstile.store.CustomerImport;
import io.turnstile.store.LicenseStore;
import io.turnstile.store.NewLicense;
import io.turnstile.store.StoreFactory;
import io.turnstile.testkit.Postgres;
import io.turnstile.testkit.TurnstileProcess;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A store of 100,000 licenses granting 1,000,000 versions: how long the proxy takes to start on it
 * and how much memory its snapshot takes. Usage: {@code ScaleBenchmark [--quick] [--postgres]
 * REPORT.md}: the store is SQLite, or with {@code --postgres} a PostgreSQL server of its own
 * (testkit's {@link Postgres}), as replicas would share. {@code --quick} fills 10,000 licenses and
 * starts the process once.
 *
 * <p>{@code --jar LABEL=PATH} (repeatable) times the starts of several Turnstile jars on the same
 * store, taking turns, e.g. a build before and after a change; {@code --jvm LABEL=ARGS} gives one
 * label JVM options (space-separated, e.g. {@code -XX:SharedArchiveFile=app.jsa}). Without {@code
 * --jar}, the jar is the {@code turnstile.jar} system property's (testkit's default). Each start
 * also reports the CPU time the process used until it answered, steadier than wall time on a busy
 * machine.
 */
public final class ScaleBenchmark {
  /** The jars to start, by label, in the order given. */
  private static final Map<String, String> JARS = new LinkedHashMap<>();
  /** Extra JVM options by jar label. */
  private static final Map<String, String> JVM_ARGS = new HashMap<>();

  private ScaleBenchmark() {}

  public static void main(String[] args) throws Exception {
    boolean quick = List.of(args).contains("--quick");
    boolean postgres = List.of(args).contains("--postgres");
    for (int i = 0; i < args.length - 1; i++) {
      if (args[i].equals("--jar") || args[i].equals("--jvm")) {
        String[] kv = args[++i].split("=", 2);
        (args[i - 1].equals("--jar") ? JARS : JVM_ARGS).put(kv[0], kv[1]);
      }
    }
    if (JARS.isEmpty()) {
      JARS.put("", System.getProperty("turnstile.jar", "registry-proxy/target/turnstile.jar"));
    }
    Path out = Path.of(args[args.length - 1]);
    int licenses = quick ? 10_000 : 100_000;
    Path dir = Files.createTempDirectory("turnstile-scale");
    Path tsDir = dir.resolve("turnstile");
    Files.createDirectories(tsDir);
    String report;
    if (postgres) {
      try (Postgres pg = Postgres.start(dir.resolve("postgres"))) {
        String key = TurnstileProcess.newEncryptionKey();
        StoreConfig config = new StoreConfig(pg.jdbcUrl(), pg.user(), pg.password(), key, tsDir.resolve("store.key"), 2);
        report = run(config, () -> new TurnstileProcess(tsDir).store(pg.jdbcUrl(), pg.user(), pg.password())
            .encryptionKey(key), licenses, quick ? 1 : 3, "PostgreSQL " + pg.version());
      }
    } else {
      StoreConfig config = new StoreConfig("jdbc:sqlite:" + tsDir.resolve("turnstile.db"), null, null, null,
          tsDir.resolve("store.key"), 2);
      report = run(config, () -> new TurnstileProcess(tsDir), licenses, quick ? 1 : 3, "SQLite");
    }
    Files.writeString(out, report);
    System.out.println(report);
    System.exit(0);
  }

  /**
   * Fills the store, loads its snapshot in-process three times, then times {@code starts} starts of
   * {@code turnstile serve} on it.
   */
  private static String run(StoreConfig config, Supplier<TurnstileProcess> process, int licenses, int starts,
      String storeName) throws Exception {
    int versions = 10;
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

    Map<String, List<Double>> startTimes = new LinkedHashMap<>();
    Map<String, List<Double>> startCpu = new LinkedHashMap<>();
    for (int i = 0; i < starts; i++) {
      for (Map.Entry<String, String> jar : JARS.entrySet()) {
        System.setProperty("turnstile.jar", jar.getValue());
        String jvm = JVM_ARGS.getOrDefault(jar.getKey(), "");
        long start = System.nanoTime();
        try (TurnstileProcess ts = process.get().jvmArgs(jvm.isBlank() ? List.of() : List.of(jvm.trim().split(" +")))
            .start("http://127.0.0.1:9", "vendor", "unused")) {
          startTimes.computeIfAbsent(jar.getKey(), k -> new ArrayList<>()).add((System.nanoTime() - start) / 1e9);
          double cpu = ProcessHandle.of(ts.pid()).flatMap(h -> h.info().totalCpuDuration())
              .map(d -> d.toNanos() / 1e9).orElse(Double.NaN);
          startCpu.computeIfAbsent(jar.getKey(), k -> new ArrayList<>()).add(cpu);
        }
      }
    }
    StringBuilder r = new StringBuilder();
    r.append("### 5. Authorization at scale").append(config.postgres() ? " on PostgreSQL" : "").append(": ")
        .append(String.format("%,d", licenses)).append(" licenses, ")
        .append(String.format("%,d", licenses * versions)).append(" granted versions\n\n");
    r.append(String.format("- filling the %s store: %.1f s%n", storeName, fillSeconds));
    r.append("- loading the snapshot in-process (migrations check + 3 queries + indexes): ")
        .append(Stats.of(loads).format("s", "%.2f")).append('\n');
    for (String label : startTimes.keySet()) {
      String name = label.isEmpty() ? "" : " (" + label + ")";
      r.append("- `turnstile serve`").append(name).append(" from process start to answering `/v2/` (JVM start included): ")
          .append(Stats.of(startTimes.get(label)).format("s", "%.2f")).append("; CPU time used by then: ")
          .append(Stats.of(startCpu.get(label)).format("s", "%.2f")).append('\n');
    }
    r.append(String.format("- snapshot heap after GC: %,d bytes, %,d bytes per license (10 versions each)%n%n", bytes,
        bytes / licenses));
    return r.toString();
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
