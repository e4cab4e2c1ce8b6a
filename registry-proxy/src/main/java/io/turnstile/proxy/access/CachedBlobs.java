package io.turnstile.proxy.access;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.turnstile.proxy.blobs.BlobStore;
import io.turnstile.proxy.blobs.FillFailedException;
import io.turnstile.proxy.upstream.ResponseSink;
import java.util.function.Function;

/**
 * The blob answers of an upstream with a cache, once the caller's license has been found to reach
 * the blob (never before: the cache widens nothing). A blob in the cache is served from its file
 * ({@link FileAnswer}), checked first when it was found on disk at start. A blob not there is
 * fetched once however many ask at the same time: the first GET streams it from the upstream to its
 * client and into the cache ({@link FillingSink}); the others follow the growing file as it is
 * written ({@link FollowingAnswer}), or, when the download fails before its first bytes, ask the
 * upstream themselves (or answer with the upstream's refusal, such as a 404). HEAD and {@code
 * Range} requests for a blob not in the cache are relayed and start no download.
 */
final class CachedBlobs {
  /** Relays {@code c}'s request to the upstream through {@code relay}, the sink wrapping it as given. */
  interface Upstream {
    void relay(RegistryCall c, Relay.Observer observer, Function<Relay, ResponseSink> sink);
  }

  private final Upstream upstream;

  CachedBlobs(Upstream upstream) {
    this.upstream = upstream;
  }

  /** @param observer told the bytes sent, for the pull audit log; null when nobody asks */
  void serve(RegistryCall c, BlobStore store, Relay.Observer observer) {
    String digest = c.path().reference();
    if (!BlobStore.cacheable(digest)) {
      upstream.relay(c, counting(store, observer), relay -> relay);
      return;
    }
    BlobStore.Entry e = store.lookup(digest);
    if (e != null) {
      fromDisk(c, store, e, observer);
    } else {
      cold(c, store, observer);
    }
  }

  private void fromDisk(RegistryCall c, BlobStore store, BlobStore.Entry e, Relay.Observer observer) {
    c.onLoop(store.verified(e), (ok, err) -> {
      if (err == null && ok && FileAnswer.send(c, store, e, observer)) {
        store.metrics().hit();
        return;
      }
      // Gone, truncated or corrupt: the store has dropped it.
      cold(c, store, observer);
    });
  }

  private void cold(RegistryCall c, BlobStore store, Relay.Observer observer) {
    if (c.head() || c.request().headers().contains(HttpHeaderNames.RANGE)) {
      store.metrics().miss();
      upstream.relay(c, counting(store, observer), relay -> relay);
      return;
    }
    BlobStore.Claim claim = store.claim(c.path().reference());
    if (claim instanceof BlobStore.Ready ready) {
      fromDisk(c, store, ready.entry(), observer);
    } else if (claim instanceof BlobStore.Follow follow) {
      new FollowingAnswer(c, store, follow.fill(), observer, () -> afterDownload(c, store, follow, observer)).start();
    } else if (claim instanceof BlobStore.Lead lead) {
      store.metrics().miss();
      upstream.relay(c, counting(store, observer), relay -> new FillingSink(c.ctx(), relay, lead.fill(), store.maxSize()));
    }
  }

  /** Once the download {@code follow}ed has landed, from its file; when it failed, as the upstream says. */
  private void afterDownload(RegistryCall c, BlobStore store, BlobStore.Follow follow, Relay.Observer observer) {
    c.onLoop(follow.result(), (entry, err) -> {
      if (err == null) {
        fromDisk(c, store, entry, observer);
      } else if (err instanceof FillFailedException failed && failed.answer() != null) {
        c.error(failed.answer());
      } else {
        store.metrics().miss();
        upstream.relay(c, counting(store, observer), relay -> relay);
      }
    });
  }

  /** {@code observer}, and the cache's count of bytes sent from the upstream. */
  private static Relay.Observer counting(BlobStore store, Relay.Observer observer) {
    return new Relay.Observer() {
      @Override
      public void delivered(HttpResponse upstreamHead) {
        if (observer != null) {
          observer.delivered(upstreamHead);
        }
      }

      @Override
      public void sent(long bytes) {
        store.metrics().sentFromUpstream(bytes);
        if (observer != null) {
          observer.sent(bytes);
        }
      }
    };
  }
}
