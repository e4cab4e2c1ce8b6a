package io.turnstile.benchmarks;

import io.turnstile.testkit.Proc;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Downloads by {@code curl} to {@code /dev/null}, the client every peer is measured with: one at a
 * time, timed by curl itself, or many at once, timed from the first start to the last exit. A
 * download counts only when it answered 200 with exactly the expected number of bytes.
 */
final class Curl {
  private Curl() {}

  /** Seconds to download {@code url}; fails unless exactly {@code bytes} arrived. */
  static double download(String url, String header, long bytes) {
    List<String> cmd = new ArrayList<>(List.of("curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download} %{time_total}"));
    if (header != null) {
      cmd.addAll(List.of("-H", header));
    }
    cmd.add(url);
    Proc.Result r = Proc.run(cmd, Map.of(), null, Duration.ofMinutes(10));
    String[] parts = r.out().trim().split(" ");
    if (!parts[0].equals("200") || Long.parseLong(parts[1]) != bytes) {
      throw new IllegalStateException("download of " + url + " failed: " + r.out() + r.err());
    }
    return Double.parseDouble(parts[2]);
  }

  /**
   * {@code clients} simultaneous downloads, each timed by curl itself: to its first byte
   * ({@code time_starttransfer}) and to its end; {@code seconds} from the first start to the last
   * exit.
   */
  record Herd(List<Double> firstByte, List<Double> total, double seconds, int failed) {}

  static Herd herd(int clients, String url, String header, long bytes) throws Exception {
    List<Process> ps = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int i = 0; i < clients; i++) {
      ps.add(new ProcessBuilder("curl", "-s", "-o", "/dev/null", "-w",
          "%{http_code} %{size_download} %{time_starttransfer} %{time_total}", "-H", header, url)
          .redirectErrorStream(true).start());
    }
    List<Double> first = new ArrayList<>();
    List<Double> total = new ArrayList<>();
    int failed = 0;
    for (Process p : ps) {
      String[] out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim().split(" ");
      p.waitFor();
      if (out.length == 4 && out[0].equals("200") && out[1].equals(Long.toString(bytes))) {
        first.add(Double.parseDouble(out[2]));
        total.add(Double.parseDouble(out[3]));
      } else {
        failed++;
      }
    }
    return new Herd(first, total, (System.nanoTime() - t0) / 1e9, failed);
  }

  /** Aggregate MiB/s of {@code clients} simultaneous downloads; negative when any failed. */
  static double concurrent(int clients, String url, String header, long bytes) throws Exception {
    List<Process> ps = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int i = 0; i < clients; i++) {
      ps.add(new ProcessBuilder("curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", "-H", header, url)
          .redirectErrorStream(true).start());
    }
    boolean ok = true;
    for (Process p : ps) {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      p.waitFor();
      ok &= out.equals("200 " + bytes);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    double mibs = clients * (bytes / 1048576.0) / seconds;
    return ok ? mibs : -mibs;
  }
}
