package io.turnstile.proxy.server;

import io.turnstile.store.LicenseStore;
import java.io.IOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/** The store opened on a thread of its own while the server sets up the rest: its result and its undoing. */
final class StoreOpening {
  private StoreOpening() {}

  /** The store {@code opening} opened, or what it failed with. */
  static LicenseStore opened(FutureTask<LicenseStore> opening) throws IOException, InterruptedException {
    try {
      return opening.get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(cause);
    }
  }

  /** Closes the store {@code opening} opens, once it has, when the start fails before it is used. */
  static void closeWhenOpened(FutureTask<LicenseStore> opening) {
    try {
      opening.get().close();
    } catch (InterruptedException e) {
      opening.cancel(true);
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      // it did not open: nothing to close
    }
  }
}
