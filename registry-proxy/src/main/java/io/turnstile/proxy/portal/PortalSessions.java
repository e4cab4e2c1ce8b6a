package io.turnstile.proxy.portal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.turnstile.proxy.web.Sessions;
import io.turnstile.proxy.web.SharedSessions;
import io.turnstile.store.CustomerId;
import io.turnstile.store.LicenseId;
import io.turnstile.store.Access;
import io.turnstile.store.AuthResult;
import io.turnstile.store.LicenseStore;
import io.turnstile.store.Refusal;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * The portal's sessions, each tied to the key that signed in. A session lives while that key
 * does: rotating a license key, revoking the license, revoking a customer key or deleting the
 * customer ends every session that signed in with it, at the next snapshot ({@link #endDead}) and
 * at the next request at the latest. An expired license does not end it: its holder may watch it
 * being renewed.
 *
 * <p>Sessions are kept in the store ({@link SharedSessions}), so a page served by any replica finds
 * them; the principal kept there is the username and credential id, never the key. At most {@link
 * #MAX_PER_CREDENTIAL} live per key on all replicas together: a key signing in again beyond that
 * ends its own least recently used session, so one holder cannot push out other customers'
 * sessions. Each replica holds at most {@link #MAX_SESSIONS} in memory and reads others again
 * from the store when asked for.
 */
final class PortalSessions {
  static final int MAX_SESSIONS = 10_000;
  static final int MAX_PER_CREDENTIAL = 16;

  private final Sessions<PortalUser> sessions;
  private final LicenseStore store;

  /** What the store keeps of a portal session: the username and ids; never the key. */
  static final SharedSessions.Codec<PortalUser> USER = new SharedSessions.Codec<>() {
    private final ObjectMapper json = new ObjectMapper();

    @Override
    public String write(PortalUser u) {
      return json.createObjectNode().put("username", u.username()).put("customerId", u.customerId().value())
          .put("licenseId", u.licenseId() == null ? null : u.licenseId().value())
          .put("credentialId", u.credentialId()).toString();
    }

    @Override
    public PortalUser read(String written) {
      try {
        JsonNode n = json.readTree(written);
        JsonNode license = n.path("licenseId");
        return new PortalUser(n.required("username").asText(), new CustomerId(n.required("customerId").asText()),
            license.isTextual() ? new LicenseId(license.asText()) : null, n.required("credentialId").asText());
      } catch (JsonProcessingException e) {
        throw new IllegalArgumentException("not a portal session's principal", e);
      }
    }

    @Override
    public String actor(PortalUser u) {
      return "portal:" + u.username();
    }
  };

  PortalSessions(LicenseStore store, Duration idle, Clock clock) {
    this.store = store;
    this.sessions = new Sessions<>(idle, MAX_SESSIONS, MAX_PER_CREDENTIAL, PortalUser::credentialId, clock,
        new SharedSessions<>(store.webSessions(), "portal", new ObjectMapper(), USER));
  }

  Sessions.Session<PortalUser> start(PortalUser user) {
    return sessions.start(user);
  }

  /** The live session with this id whose key still counts, or null (a dead one ends here). Blocking. */
  Sessions.Session<PortalUser> find(String id) {
    Sessions.Session<PortalUser> s = sessions.find(id);
    if (s != null && !keyLives(s.principal())) {
      sessions.endHere(s.id());
      return null;
    }
    return s;
  }

  /** From memory: see {@link Sessions#isLive}. */
  boolean isLive(String id) {
    return sessions.isLive(id);
  }

  /** Blocking: see {@link Sessions#isLiveChecked}. */
  boolean isLiveChecked(String id) {
    return sessions.isLiveChecked(id);
  }

  void end(String id) {
    sessions.end(id);
  }

  /** Ends it on this replica, whose snapshot says its key no longer counts; every replica judges so itself. */
  void endHere(String id) {
    sessions.endHere(id);
  }

  /** Ends every session whose key no longer counts; answers them. */
  List<Sessions.Session<PortalUser>> endDead() {
    return sessions.endIf(u -> !keyLives(u));
  }

  /** Whether the key behind {@code user} still signs in: the store's answer, as for a token naming it. */
  boolean keyLives(PortalUser user) {
    AuthResult r = store.authorizeCredential(user.credentialId());
    return r instanceof Access || r instanceof Refusal f && f.reason() == Refusal.Reason.LICENSE_EXPIRED;
  }

  int size() {
    return sessions.size();
  }
}
