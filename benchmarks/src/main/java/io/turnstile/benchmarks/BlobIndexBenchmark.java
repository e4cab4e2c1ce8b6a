package io.turnstile.benchmarks;

import io.turnstile.testkit.TurnstileProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How long the blob cache takes to rebuild its index at start: a cache directory holding N files
 * (100,000; 10,000 with {@code --quick}) laid out as Turnstile writes them, and the built jar
 * started on it several times. The figure is the one Turnstile logs for the rebuild ("read in N
 * ms"), with the whole start-up beside it. The files stay in the page cache between runs, as they
 * would on a restart; a first start after a reboot reads the directory from disk.
 *
 * <p>Usage: {@code BlobIndexBenchmark [--quick] REPORT.md}
 */
public final class BlobIndexBenchmark {
  private static final Pattern READ_IN = Pattern.compile("blob cache of upstream vendor: (\\d+) blobs.* read in (\\d+) ms");

  private BlobIndexBenchmark() {}

  public static void main(String[] args) throws Exception {
    boolean quick = List.of(args).contains("--quick");
    Path out = Path.of(args[args.length - 1]);
    int files = quick ? 10_000 : 100_000;
    int runs = quick ? 2 : 5;
    Path dir = Files.createTempDirectory("turnstile-blobindex");
    Path cache = dir.resolve("blobs");
    Random random = new Random(1);
    byte[] name = new byte[32];
    byte[] content = new byte[64];
    long t0 = System.nanoTime();
    for (int i = 0; i < files; i++) {
      random.nextBytes(name);
      String hex = HexFormat.of().formatHex(name);
      Path file = cache.resolve("sha256").resolve(hex.substring(0, 2)).resolve(hex);
      Files.createDirectories(file.getParent());
      random.nextBytes(content);
      Files.write(file, content);
    }
    double writeSeconds = (System.nanoTime() - t0) / 1e9;
    List<Double> rebuild = new ArrayList<>();
    List<Double> startup = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      long s = System.nanoTime();
      try (TurnstileProcess t = new TurnstileProcess(dir.resolve("turnstile-" + i)).blobCache(cache, "10GiB")
          .start("http://127.0.0.1:9", "vendor", "unused")) {
        startup.add((System.nanoTime() - s) / 1e6);
        Matcher m = READ_IN.matcher(Files.readString(t.log()));
        if (!m.find() || Integer.parseInt(m.group(1)) != files) {
          throw new IllegalStateException("no rebuild of " + files + " blobs in " + t.log());
        }
        rebuild.add(Double.parseDouble(m.group(2)));
      }
    }
    String report = "### Blob cache index rebuilt at start (" + String.format("%,d", files) + " files)\n\n"
        + "- rebuild, as Turnstile logs it: " + Stats.of(rebuild).format("ms", "%.0f") + "\n"
        + "- whole start-up until `/v2/` answers (JVM, store, both listeners): " + Stats.of(startup).format("ms", "%.0f") + "\n"
        + String.format("- (writing the files took %.1f s; they are in the page cache for every run)%n%n", writeSeconds);
    Files.writeString(out, report);
    System.out.println(report);
    deleteTree(dir);
    System.exit(0);
  }

  private static void deleteTree(Path dir) {
    io.turnstile.testkit.Proc.run(java.util.Map.of(), "rm", "-rf", dir.toString());
  }
}
