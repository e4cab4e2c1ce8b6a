package io.turnstile.store;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A login key as the {@link Snapshot} indexes it, and what it stands for: who signs in with it
 * ({@link #principal()}) and what it grants at a given moment ({@link #access}). A license key
 * grants its license while active, and once expired what was released before its expiry when the
 * license keeps that; a pull token grants as its license's key until the token itself expires; a
 * customer key grants every unrevoked license of its customer, each as its own key would. Built once
 * per snapshot change of the customer, so that a login only compares the moment with the expiries.
 */
abstract class Credential {
  private final Principal principal;

  private Credential(Principal principal) {
    this.principal = principal;
  }

  /** The key of {@code license}; its username is the license id. */
  static Credential ofLicense(License license, Catalog catalog, TagsSeen seen) {
    return new LicenseCredential(new Principal(license.id().value(), license.customerId(), license.id(),
        license.keyId()), license, catalog, seen);
  }

  /** Pull token {@code token} of {@code license}; its username is the license id. */
  static Credential ofPullToken(PullToken token, License license, Catalog catalog, TagsSeen seen) {
    return new TokenCredential(token, license, catalog, seen);
  }

  /** Customer key {@code keyId} of {@code entry}'s customer; its username is the customer id. */
  static Credential ofCustomerKey(Snapshot.CustomerEntry entry, String keyId, Catalog catalog, TagsSeen seen) {
    return new CustomerCredential(entry, keyId, catalog, seen);
  }

  final Principal principal() {
    return principal;
  }

  /** What the key grants at {@code now}, or why it grants nothing. */
  abstract AuthResult access(Instant now);

  private static class LicenseCredential extends Credential {
    final License license;
    final Access access;
    /** What the license grants once expired, when it keeps what was released before; else null. */
    final Access kept;

    LicenseCredential(Principal principal, License license, Catalog catalog, TagsSeen seen) {
      super(principal);
      this.license = license;
      this.access = new Access(principal, List.of(license), Set.of(), catalog, seen);
      this.kept = license.keepReleasedBeforeExpiry() && license.expiresAt() != null
          ? new Access(principal, List.of(license), Set.of(license.id()), catalog, seen)
          : null;
    }

    @Override
    AuthResult access(Instant now) {
      return switch (license.state(now)) {
        case ACTIVE -> access;
        case EXPIRED -> kept != null ? kept : Refusal.EXPIRED;
        case REVOKED -> Refusal.REVOKED;
      };
    }
  }

  /**
   * A pull token: what its license grants, decided as the license's key would be, and nothing once
   * the token itself has expired. Its username is the license id.
   */
  private static final class TokenCredential extends LicenseCredential {
    final PullToken token;

    TokenCredential(PullToken token, License license, Catalog catalog, TagsSeen seen) {
      super(new Principal(license.id().value(), license.customerId(), license.id(), token.id()), license, catalog, seen);
      this.token = token;
    }

    @Override
    AuthResult access(Instant now) {
      return token.expiresAt() != null && !now.isBefore(token.expiresAt()) ? Refusal.TOKEN_EXPIRED : super.access(now);
    }
  }

  private static final class CustomerCredential extends Credential {
    final List<License> unrevoked;
    final Instant firstExpiry;
    final Catalog catalog;
    final TagsSeen seen;
    final Access whileNoneExpired;

    CustomerCredential(Snapshot.CustomerEntry entry, String keyId, Catalog catalog, TagsSeen seen) {
      super(new Principal(entry.customer().id().value(), entry.customer().id(), null, keyId));
      this.catalog = catalog;
      this.seen = seen;
      List<License> live = new ArrayList<>();
      Instant first = Instant.MAX;
      for (Snapshot.LicenseEntry l : entry.licenses()) {
        if (l.license().revokedAt() == null) {
          live.add(l.license());
          if (l.license().expiresAt() != null && l.license().expiresAt().isBefore(first)) {
            first = l.license().expiresAt();
          }
        }
      }
      this.unrevoked = List.copyOf(live);
      this.firstExpiry = first;
      this.whileNoneExpired = new Access(principal(), unrevoked, Set.of(), catalog, seen);
    }

    @Override
    AuthResult access(Instant now) {
      if (now.isBefore(firstExpiry)) {
        return whileNoneExpired;
      }
      List<License> granting = new ArrayList<>(unrevoked.size());
      Set<LicenseId> kept = new HashSet<>();
      for (License l : unrevoked) {
        if (l.isValidAt(now)) {
          granting.add(l);
        } else if (l.grantsAnythingAt(now)) {
          granting.add(l);
          kept.add(l.id());
        }
      }
      return new Access(principal(), granting, kept, catalog, seen);
    }
  }
}
