package io.turnstile.proxy.access;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.turnstile.proxy.audit.PullRecorder;
import io.turnstile.store.CredentialKind;
import io.turnstile.store.Grant;
import io.turnstile.store.License;
import io.turnstile.store.LicenseId;
import io.turnstile.store.Principal;
import io.turnstile.store.PullRecord;
import java.net.InetSocketAddress;
import java.time.Instant;

/**
 * Turns a manifest GET answered 200 into an audit record: who (license, customer, kind of key),
 * what (repository, tag, version, digest) and from where (address, user agent); and reports the
 * blob bytes sent after it under the same join key (the exact key, the repository and the client
 * address), which the recorder adds to the record. Everything comes from the request and the grant
 * it already holds; nothing is looked up again.
 */
final class Pulls {
  private final PullRecorder recorder;

  Pulls(PullRecorder recorder) {
    this.recorder = recorder;
  }

  /** Whether {@code c} is a GET to report once answered, with the log on. */
  boolean wanted(RegistryCall c) {
    return recorder != PullRecorder.OFF && !c.head();
  }

  /** Records a relayed manifest once delivered; {@code known} is its digest when the upstream names none. */
  Relay.Observer manifestObserver(RegistryCall c, String known) {
    return new Relay.Observer() {
      @Override
      public void delivered(HttpResponse up) {
        String served = up.headers().get("Docker-Content-Digest");
        Pulls.this.delivered(c, served != null ? served : known);
      }
    };
  }

  /** Counts a relayed blob's bytes for the pull it belongs to. */
  Relay.Observer blobObserver(RegistryCall c) {
    String key = joinKey(c, client(c));
    return new Relay.Observer() {
      @Override
      public void sent(long bytes) {
        recorder.blobBytes(key, bytes);
      }
    };
  }

  /** Records that {@code c} was answered 200 with the manifest {@code digest}. */
  void delivered(RegistryCall c, String digest) {
    Grant g = c.grant();
    Principal who = c.access().principal();
    String tag = c.path().isDigestReference() ? null : c.path().reference();
    // A tag the licenses grant names its version; anything else (a digest, a signature's tag) was
    // let through by the granted tag that reaches it.
    License license = tag == null ? null : g.licenseForTag(tag).orElse(null);
    String via = license != null ? tag : c.reachedFrom();
    if (license == null) {
      license = c.reachedWith();
    }
    LicenseId licenseId = license != null ? license.id() : who.licenseId();
    String version = license == null || via == null ? null : g.grantedVersion(license, via);
    String client = client(c);
    recorder.pulled(new PullRecord(Instant.now(), licenseId, who.customerId(), CredentialKind.of(who),
        g.licenses().get(0).application(), g.repository().name(), tag, version, digest, client,
        c.request().headers().get(HttpHeaderNames.USER_AGENT), null), joinKey(c, client));
  }

  private static String client(RegistryCall c) {
    return c.ctx().channel().remoteAddress() instanceof InetSocketAddress a && a.getAddress() != null
        ? a.getAddress().getHostAddress()
        : null;
  }

  /** The exact key (not the secret: its id), the repository and the address; kept in memory only. */
  private static String joinKey(RegistryCall c, String client) {
    return c.access().principal().credentialId() + '\n' + c.grant().repository().name() + '\n' + client;
  }
}
