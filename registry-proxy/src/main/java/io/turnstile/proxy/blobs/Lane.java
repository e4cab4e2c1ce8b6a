package io.turnstile.proxy.blobs;

import io.netty.buffer.ByteBuf;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One step of a download (hashing, or writing to disk) that takes the pieces in order, one at a
 * time, on an executor shared with other work: at most one task of a lane runs at once, so its
 * handler needs no locks, while two lanes of one download run side by side. It counts the bytes of
 * the pieces queued and not yet handled, for backpressure. Thread-safe to {@link #add} to.
 */
final class Lane {
  private final Executor executor;
  private final Consumer<Object> handler;
  private final Runnable afterPiece;
  private final Queue<Object> queue = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean draining = new AtomicBoolean();
  private final AtomicLong queued = new AtomicLong();

  /**
   * @param handler takes each item: a {@link ByteBuf} piece, released by the lane once handled, or
   *     a marker object
   * @param afterPiece runs after each piece has been handled and released
   */
  Lane(Executor executor, Consumer<Object> handler, Runnable afterPiece) {
    this.executor = executor;
    this.handler = handler;
    this.afterPiece = afterPiece;
  }

  /** Queues a piece, which the lane now owns, or a marker. */
  void add(Object item) {
    if (item instanceof ByteBuf piece) {
      queued.addAndGet(piece.readableBytes());
    }
    queue.add(item);
    if (draining.compareAndSet(false, true)) {
      executor.execute(this::drain);
    }
  }

  /** Bytes of the pieces queued and not yet handled. */
  long queued() {
    return queued.get();
  }

  private void drain() {
    do {
      Object item;
      while ((item = queue.poll()) != null) {
        if (item instanceof ByteBuf piece) {
          int n = piece.readableBytes();
          try {
            handler.accept(piece);
          } finally {
            piece.release();
            queued.addAndGet(-n);
            afterPiece.run();
          }
        } else {
          handler.accept(item);
        }
      }
      draining.set(false);
      // An item added between the last poll and the reset found the lane draining: take it now.
    } while (!queue.isEmpty() && draining.compareAndSet(false, true));
  }
}
