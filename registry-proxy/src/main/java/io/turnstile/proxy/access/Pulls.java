package io.turnstile.proxy.access;

import io.netty.handler.codec.http.HttpHeaderNames;
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
 * what (repository, tag, version, digest) and from where (address, user agent). Everything comes
 * from the request and the grant it already holds; nothing is looked up again.
 */
final class Pulls {
  private final PullRecorder recorder;

  Pulls(PullRecorder recorder) {
    this.recorder = recorder;
  }

  /** Whether {@code c} is a pull to record once answered: a GET of a manifest, with the log on. */
  boolean wanted(RegistryCall c) {
    return recorder != PullRecorder.OFF && !c.head();
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
    String client = c.ctx().channel().remoteAddress() instanceof InetSocketAddress a && a.getAddress() != null
        ? a.getAddress().getHostAddress()
        : null;
    recorder.pulled(new PullRecord(Instant.now(), licenseId, who.customerId(), CredentialKind.of(who),
        license != null ? license.application() : g.licenses().get(0).application(), g.repository().name(), tag,
        version, digest, client, c.request().headers().get(HttpHeaderNames.USER_AGENT), null));
  }
}
