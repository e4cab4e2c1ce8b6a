package io.turnstile.proxy.server;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.turnstile.proxy.observe.Vitals;
import io.turnstile.proxy.transport.Transport;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads a Turnstile runs on, shared by both listeners: one acceptor event loop ({@code
 * boss}), the worker event loops that carry every connection (at least two, else one per
 * processor), and the bounded executor for blocking work (database, files, keys), which never runs
 * on an event loop: 4 threads, daemon, and up to 1024 tasks queued before a task is refused.
 */
record ServerThreads(EventLoopGroup boss, EventLoopGroup workers, ExecutorService blocking) {
  private static final int WORKER_THREADS = Math.max(2, Runtime.getRuntime().availableProcessors());

  /** Starts the event loops and the blocking executor. */
  static ServerThreads start() {
    EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, Transport.ioHandlerFactory());
    EventLoopGroup workers = new MultiThreadIoEventLoopGroup(WORKER_THREADS, Transport.ioHandlerFactory());
    return new ServerThreads(boss, workers, blockingExecutor());
  }

  /** Makes the probes fail when an event loop dies (see {@link Vitals}). */
  void watch(Vitals vitals) {
    vitals.eventLoops("acceptor", boss);
    vitals.eventLoops("worker", workers);
  }

  /**
   * Ends the event loops, without a quiet period and within two seconds, waiting for the workers'
   * end, then interrupts the blocking work.
   */
  void shutdown() {
    boss.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    blocking.shutdownNow();
  }

  private static ExecutorService blockingExecutor() {
    AtomicInteger n = new AtomicInteger();
    return new ThreadPoolExecutor(4, 4, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(1024), r -> {
      Thread t = new Thread(r, "turnstile-blocking-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }
}
