package io.turnstile.proxy.cli;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import sun.misc.Signal;

/**
 * SIGTERM and SIGINT as requests to stop, handled by Turnstile instead of the JVM: the JVM's own
 * handling runs the shutdown hooks and exits with 143, which reads as a crash to an orchestrator,
 * while a stop that drained cleanly should exit 0. The first signal starts the stop; each later one
 * runs {@link #onRepeat}, to cut the stop short. {@code sun.misc.Signal} (module jdk.unsupported) is
 * the JDK's only way to do this; javac warns that it is internal.
 */
final class StopSignals {
  private final CountDownLatch first = new CountDownLatch(1);
  private final AtomicInteger received = new AtomicInteger();
  private volatile Runnable repeat = () -> { };
  private volatile String name;

  private StopSignals() {}

  /** Takes over SIGTERM and SIGINT for this process. */
  static StopSignals install() {
    StopSignals signals = new StopSignals();
    for (String s : List.of("TERM", "INT")) {
      Signal.handle(new Signal(s), signal -> signals.received("SIG" + signal.getName()));
    }
    return signals;
  }

  private void received(String signal) {
    if (received.incrementAndGet() == 1) {
      name = signal;
      first.countDown();
    } else {
      repeat.run();
    }
  }

  /** Waits for the first signal and returns its name, e.g. {@code SIGTERM}. */
  String await() throws InterruptedException {
    first.await();
    return name;
  }

  /** What a second and later signal does. */
  void onRepeat(Runnable action) {
    this.repeat = action;
  }
}
