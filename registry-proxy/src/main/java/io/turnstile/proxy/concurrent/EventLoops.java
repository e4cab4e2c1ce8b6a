package io.turnstile.proxy.concurrent;

import io.netty.channel.EventLoop;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BiConsumer;

/** Brings the result of a future back onto a channel's event loop, where its state lives. */
public final class EventLoops {
  private EventLoops() {}

  /**
   * Runs {@code then} on {@code loop} once {@code f} completes, at once when it already has and the
   * caller is on the loop. The failure handed on is the cause, not the future's wrapper.
   */
  public static <T> void whenDone(EventLoop loop, CompletableFuture<T> f, BiConsumer<T, Throwable> then) {
    if (f.isDone() && loop.inEventLoop()) {
      f.handle((v, e) -> {
        then.accept(v, unwrap(e));
        return null;
      });
      return;
    }
    f.whenComplete((v, e) -> loop.execute(() -> then.accept(v, unwrap(e))));
  }

  /** The failure inside a future's wrappers; null for none. */
  public static Throwable unwrap(Throwable e) {
    while (e instanceof CompletionException && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }
}
