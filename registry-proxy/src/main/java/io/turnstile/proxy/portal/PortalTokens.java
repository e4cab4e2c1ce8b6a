package io.turnstile.proxy.portal;

import io.turnstile.proxy.web.Sessions;
import io.turnstile.proxy.web.WebRequest;
import io.turnstile.proxy.web.WebResponse;
import io.turnstile.store.InvalidInputException;
import io.turnstile.store.IssuedPullToken;
import io.turnstile.store.License;
import io.turnstile.store.LicenseId;
import io.turnstile.store.LicenseState;
import io.turnstile.store.LicenseStore;
import io.turnstile.store.NoSuchLicenseException;
import io.turnstile.store.NoSuchPullTokenException;
import io.turnstile.store.PullToken;
import io.turnstile.store.PullTokens;
import io.turnstile.store.Snapshot;
import io.turnstile.store.StoreUnavailableException;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The portal's "Pull tokens" section: a signed-in customer makes, rotates and revokes pull tokens
 * of its own licenses. A session signed in with a license key manages that license's tokens; one
 * signed in with a customer key, those of every license of the customer. The list comes from the
 * in-memory snapshot; writes go to the store on the blocking executor, never on the event loop, and
 * the answer (a redirect to the page) is handed back through {@code answer}. A new token's secret is
 * flashed to the session and shown on the next page only.
 */
public final class PortalTokens {
  private static final Logger log = LoggerFactory.getLogger(PortalTokens.class);
  /** The flash entry holding a token just made, for the next page only. */
  static final String ISSUED = "issued-token";

  /** A token just made, as the page shows it once. */
  public record Issued(String name, String licenseId, String secret, String dockerLogin) {
    @Override
    public String toString() {
      return "Issued[" + name + ", " + licenseId + "]";
    }
  }

  /** One token in the list. */
  public record Row(String id, String name, String createdAt, String expiresAt, String lastUsedAt, boolean expired) {}

  /** The tokens of one license, and whether it takes new ones. */
  public record Section(String licenseId, String title, boolean open, List<Row> tokens, boolean full) {}

  private final LicenseStore store;
  private final Executor blocking;
  private final Clock clock;
  private final String host;

  PortalTokens(LicenseStore store, Executor blocking, Clock clock, String host) {
    this.store = store;
    this.blocking = blocking;
    this.clock = clock;
    this.host = host;
  }

  /** The sections of the licenses {@code user} manages, from the snapshot. */
  List<Section> sections(PortalUser user, Snapshot snapshot) {
    Instant now = clock.instant();
    List<License> licenses = user.licenseId() != null
        ? (snapshot.license(user.licenseId()) == null ? List.of() : List.of(snapshot.license(user.licenseId())))
        : snapshot.licensesOf(user.customerId());
    List<Section> out = new ArrayList<>();
    for (License l : licenses) {
      List<Row> rows = new ArrayList<>();
      int live = 0;
      for (PullToken t : store.pullTokens().list(l.id())) {
        boolean expired = !t.usableAt(now);
        live += expired ? 0 : 1;
        rows.add(new Row(t.id(), t.name(), day(t.createdAt()), t.expiresAt() == null ? "with the license" : day(t.expiresAt()),
            t.lastUsedAt() == null ? "never" : t.lastUsedAt().toString(), expired));
      }
      boolean open = l.state(now) != LicenseState.REVOKED;
      out.add(new Section(l.id().value(), l.application() + (l.name().isEmpty() ? "" : " · " + l.name()), open,
          rows, live >= PullTokens.MAX_PER_LICENSE));
    }
    return out;
  }

  /**
   * Serves {@code POST /portal/tokens[/revoke|/rotate]}: checks the license is the session's, then
   * writes on the blocking executor and hands the redirect to {@code answer} on that thread.
   *
   * @return an answer now (a refusal), or null when {@code answer} will get it
   */
  WebResponse serve(String action, WebRequest r, Sessions.Session<PortalUser> s, Consumer<WebResponse> answer) {
    PortalUser user = s.principal();
    if (user.credentialId().startsWith(io.turnstile.store.Keys.PULL_TOKEN_ID_PREFIX)) {
      return WebResponse.text(403, "a pull token cannot manage pull tokens: sign in with your license key");
    }
    LicenseId license = mine(user, r.field("license"), store.snapshot());
    if (license == null) {
      s.flash("error", "That license is not one of yours.");
      return WebResponse.redirect(Portal.PREFIX + "/#pull-tokens");
    }
    String actor = "portal:" + user.username();
    Runnable work = switch (action) {
      case "create" -> () -> {
        Instant expiry = expiry(r.field("expires"));
        issued(s, store.pullTokens().create(license, r.field("name") == null ? "" : r.field("name").strip(), expiry,
            actor));
      };
      case "revoke" -> () -> {
        PullToken t = store.pullTokens().revoke(license, r.field("token"), actor);
        s.flash("notice", "Pull token " + t.name() + " revoked: it no longer works.");
      };
      case "rotate" -> () -> issued(s, store.pullTokens().rotate(license, r.field("token"), actor));
      default -> null;
    };
    if (work == null) {
      return WebResponse.text(404, "not found");
    }
    try {
      blocking.execute(() -> answer.accept(run(s, work)));
    } catch (RejectedExecutionException e) {
      return WebResponse.text(503, "busy, try again");
    }
    return null;
  }

  private WebResponse run(Sessions.Session<PortalUser> s, Runnable work) {
    try {
      work.run();
    } catch (InvalidInputException e) {
      s.flash("error", "Pull token not changed: " + e.getMessage());
    } catch (NoSuchPullTokenException e) {
      s.flash("error", "That pull token is already revoked.");
    } catch (NoSuchLicenseException e) {
      s.flash("error", "That license is revoked: it takes no new pull tokens.");
    } catch (StoreUnavailableException e) {
      s.flash("error", "Pull tokens cannot be changed right now; nothing was changed. Try again in a minute.");
    } catch (RuntimeException e) {
      log.error("portal pull token change failed", e);
      s.flash("error", "Pull token not changed: internal error.");
    }
    return WebResponse.redirect(Portal.PREFIX + "/#pull-tokens");
  }

  private void issued(Sessions.Session<PortalUser> s, IssuedPullToken t) {
    String licenseId = t.token().licenseId().value();
    s.flash(ISSUED, new Issued(t.token().name(), licenseId, t.secret(),
        "echo '" + t.secret() + "' | docker login " + host + " -u " + licenseId + " --password-stdin"));
  }

  /**
   * The license named in the form when the session may manage it, else null: the session's own
   * license, or with a customer key one of the customer's. The form's value is never trusted alone.
   */
  private static LicenseId mine(PortalUser user, String field, Snapshot snapshot) {
    if (field == null || field.isBlank()) {
      return null;
    }
    License l = snapshot.license(new LicenseId(field.strip()));
    if (l == null || !l.customerId().equals(user.customerId())) {
      return null;
    }
    return user.licenseId() == null || user.licenseId().equals(l.id()) ? l.id() : null;
  }

  /** A date from the form, {@code yyyy-mm-dd}: the token stops at its start, 00:00 UTC. Empty: with the license. */
  private static Instant expiry(String field) {
    if (field == null || field.isBlank()) {
      return null;
    }
    try {
      return LocalDate.parse(field.strip()).atStartOfDay(ZoneOffset.UTC).toInstant();
    } catch (DateTimeParseException e) {
      throw new InvalidInputException("expires", "must be a date, yyyy-mm-dd");
    }
  }

  private static String day(Instant at) {
    return at.atOffset(ZoneOffset.UTC).toLocalDate().toString();
  }
}
