package io.turnstile.proxy.observe;

import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.BooleanSupplier;

/**
 * The threads Turnstile cannot serve without, and the fatal errors that killed a thread: what turns
 * {@code /healthz} and {@code /readyz} to failing, so that an orchestrator restarts the process.
 * Without an event loop, connections on it close unanswered; without the pull audit writer, nothing
 * more is recorded; without the store's feed, other replicas' writes are never seen. A process in
 * that state may still answer its probes from the threads left, which is why each essential thread
 * is looked at, not only whether a probe is answered.
 *
 * <p>An {@link OutOfMemoryError} leaves no thread trustworthy: the image, the Helm chart and the
 * README start the JVM with {@code -XX:+ExitOnOutOfMemoryError}, so the process exits at once.
 * Thread-safe.
 */
public final class Vitals {
  private final Map<String, BooleanSupplier> essentials = new ConcurrentSkipListMap<>();
  private final List<String> fatal = new ArrayList<>();

  /** Registers a thread (or pool) named {@code name} that must stay alive while {@code alive} says so. */
  public void essential(String name, BooleanSupplier alive) {
    essentials.put(name, alive);
  }

  /** Registers every event loop of {@code group}: a loop that has stopped, or is stopping, is dead. */
  public void eventLoops(String name, EventLoopGroup group) {
    int i = 0;
    for (EventExecutor loop : group) {
      essential(name + " event loop " + i++, () -> !loop.isShuttingDown());
    }
  }

  /**
   * Records that {@code error}, an {@link Error}, ended {@code thread}: from now on the process is
   * failing. Meant as
   * the JVM's default uncaught exception handler, which sees every thread that dies of an error,
   * the log writer's among them.
   */
  public void died(Thread thread, Throwable error) {
    if (!(error instanceof Error)) {
      // An exception ends only its own thread; an essential one is caught by its liveness check.
      return;
    }
    synchronized (fatal) {
      if (fatal.size() < 8) {
        fatal.add("thread " + thread.getName() + " died: " + error.getClass().getName());
      }
    }
  }

  /** What is wrong, in words; empty when every essential thread lives and none died of an error. */
  public List<String> failures() {
    List<String> out = new ArrayList<>();
    synchronized (fatal) {
      out.addAll(fatal);
    }
    essentials.forEach((name, alive) -> {
      if (!alive.getAsBoolean()) {
        out.add(name + " is not running");
      }
    });
    return out;
  }
}
