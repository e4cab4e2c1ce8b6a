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

  /**
   * Whether {@code c} is to be reported once answered, with the log on: a GET, or a {@code HEAD} by
   * tag, which names the tag of the GET by digest that follows.
   */
  boolean wanted(RegistryCall c) {
    return recorder != PullRecorder.OFF && (!c.head() || !c.path().isDigestReference());
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
    PullRecorder.JoinKey key = joinKey(c);
    return new Relay.Observer() {
      @Override
      public void sent(long bytes) {
        recorder.blobBytes(key, bytes);
      }
    };
  }

  /** Records that {@code c} was answered 200 with the manifest {@code digest}. */
  void delivered(RegistryCall c, String digest) {
    if (c.head()) {
      if (digest != null && !c.path().isDigestReference()) {
        recorder.resolved(joinKey(c), c.path().reference(), digest);
      }
      return;
    }
    Grant g = c.grant();
    Principal who = c.access().principal();
    String tag = c.path().isDigestReference() ? null : c.path().reference();
    // The granted tag behind the answer names the version: the tag asked for, or for a digest (or a
    // signature's tag) the granted tag whose content holds it.
    String via = c.reachedFrom();
    License license = c.reachedWith();
    LicenseId licenseId = license != null ? license.id() : who.licenseId();
    String version = license == null || via == null ? null : g.grantedVersion(license, via);
    PullRecorder.JoinKey key = joinKey(c);
    recorder.pulled(new PullRecord(Instant.now(), licenseId, who.customerId(), CredentialKind.of(who),
        g.licenses().get(0).application(), g.repository().name(), tag, version, digest,
        key.client() == null ? null : key.client().getHostAddress(),
        c.request().headers().get(HttpHeaderNames.USER_AGENT), null).withToken(who.isPullToken() ? who.credentialId() : null),
        key);
  }

  private static PullRecorder.JoinKey joinKey(RegistryCall c) {
    return new PullRecorder.JoinKey(c.access().principal().credentialId(), c.grant().repository().name(), c.client());
  }
}
