package io.turnstile.proxy.access;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.turnstile.proxy.audit.PullRecorder;
import io.turnstile.proxy.observe.RequestRecord;
import io.turnstile.store.Access;
import io.turnstile.store.CredentialKind;
import io.turnstile.store.License;
import io.turnstile.store.Principal;
import io.turnstile.store.PullRecord;
import java.net.InetAddress;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Puts each bundle download in the pull audit log once it ends, as one record of kind {@value
 * PullRecord#BUNDLE}: the license and key that asked, its versions (comma-separated, in {@code
 * version}), the repositories it holds (in {@code repository}), its content tag as a digest, the
 * archive bytes sent (in {@code blobBytes}) and whether the whole answer went out. A download cut
 * short, and each resumption of one, is a record of its own.
 */
final class BundleAudit {
  private final PullRecorder recorder;

  BundleAudit(PullRecorder recorder) {
    this.recorder = recorder;
  }

  /** What to tell when the download of {@code layout} ends. */
  BundleStream.Outcome outcome(Access access, License license, List<String> versions, BundleContent content,
      BundleLayout layout, HttpRequest request, ChannelHandlerContext ctx) {
    if (recorder == PullRecorder.OFF) {
      return (sent, complete) -> { };
    }
    Principal who = access.principal();
    InetAddress client = RequestRecord.of(ctx.channel()).clientAddress();
    String agent = request.headers().get(HttpHeaderNames.USER_AGENT);
    Set<String> repositories = new LinkedHashSet<>();
    content.refs().forEach(r -> repositories.add(r.repository()));
    // The ETag is the SHA-256 of the archive's layout: the same bundle has the same one.
    String tag = "sha256:" + layout.etag().replace("\"", "");
    return (sent, complete) -> recorder.pulled(new PullRecord(Instant.now(), license.id(), who.customerId(),
        CredentialKind.of(who), license.application(), String.join(",", repositories), null,
        String.join(",", versions), tag, client == null ? null : client.getHostAddress(), agent, sent)
        .withToken(who.isPullToken() ? who.credentialId() : null).asBundle(complete), null);
  }
}
