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
import java.util.List;

/**
 * Puts a bundle download in the pull audit log once it ends: one record per image the bundle
 * names (repository, tag, version, digest, as a pull of it would be), made with the user agent
 * {@code turnstile-bundle} appended, and the archive bytes sent joined to the first of them. A
 * download cut short is recorded too, with the bytes that went out.
 */
final class BundleAudit {
  private final PullRecorder recorder;

  BundleAudit(PullRecorder recorder) {
    this.recorder = recorder;
  }

  BundleStream.Outcome outcome(Access access, License license, List<String> versions, BundleContent content,
      HttpRequest request, ChannelHandlerContext ctx) {
    if (recorder == PullRecorder.OFF) {
      return (sent, complete) -> { };
    }
    Principal who = access.principal();
    InetAddress client = RequestRecord.of(ctx.channel()).clientAddress();
    String agent = request.headers().get(HttpHeaderNames.USER_AGENT);
    String userAgent = (agent == null ? "" : agent + " ") + "turnstile-bundle";
    return (sent, complete) -> {
      boolean first = true;
      for (BundleContent.Ref r : content.refs()) {
        if (!r.kind().equals("image")) {
          continue;
        }
        PullRecord record = new PullRecord(Instant.now(), license.id(), who.customerId(), CredentialKind.of(who),
            license.application(), r.repository(), r.tag(), r.version(), r.digest(),
            client == null ? null : client.getHostAddress(), userAgent + (complete ? "" : " (cut short)"),
            first ? sent : null).withToken(who.isPullToken() ? who.credentialId() : null);
        recorder.pulled(record, null);
        first = false;
      }
    };
  }
}
