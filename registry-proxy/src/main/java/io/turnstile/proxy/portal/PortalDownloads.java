package io.turnstile.proxy.portal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.turnstile.proxy.licensing.LicenseFiles;
import io.turnstile.proxy.oci.PullSecrets;
import io.turnstile.proxy.oci.RegistryException;
import io.turnstile.proxy.token.LoginGuard;
import io.turnstile.proxy.web.Sessions;
import io.turnstile.proxy.web.WebRequest;
import io.turnstile.proxy.web.WebResponse;
import io.turnstile.store.Access;
import io.turnstile.store.AuthResult;
import io.turnstile.store.Customer;
import io.turnstile.store.License;
import io.turnstile.store.LicenseId;
import io.turnstile.store.LicenseStore;
import io.turnstile.store.Snapshot;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * The files a signed-in customer downloads from the portal: the Kubernetes pull secret, which holds
 * the key itself and so asks for it again, checked (and throttled) like a login; and a license's
 * signed license file, made from the snapshot at the moment of the download. Both are blocking
 * (the throttle and the signature), so they are called off the event loop.
 */
final class PortalDownloads {
  private final LicenseStore store;
  private final LoginGuard logins;
  private final ObjectMapper json;
  private final URI publicUrl;
  private final LicenseFiles files;

  /** @param files signs the license files; null: none are offered */
  PortalDownloads(LicenseStore store, LoginGuard logins, ObjectMapper json, URI publicUrl, LicenseFiles files) {
    this.store = store;
    this.logins = logins;
    this.json = json;
    this.publicUrl = publicUrl;
    this.files = files;
  }

  /** Whether license files are offered. */
  boolean offersLicenseFiles() {
    return files != null;
  }

  /** The pull secret holds the key itself, so the key is asked for again and checked like a login. */
  WebResponse pullSecret(WebRequest r, Sessions.Session<PortalUser> s) {
    PortalUser user = s.principal();
    AuthResult result;
    try {
      result = logins.authenticate(user.username(), r.field("key"), r.client());
    } catch (RegistryException e) {
      s.flash("error", "Too many failed attempts from your address; wait a minute and try again.");
      return WebResponse.redirect(Portal.PREFIX + "/");
    }
    if (!(result instanceof Access access) || !access.principal().credentialId().equals(user.credentialId())) {
      s.flash("error", "That is not the key you signed in with.");
      return WebResponse.redirect(Portal.PREFIX + "/");
    }
    byte[] body;
    try {
      body = json.writerWithDefaultPrettyPrinter().writeValueAsBytes(PullSecrets.secret(json, publicUrl,
          PortalView.secretName(user.username()), null, user.username(), r.field("key")));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    return WebResponse.bytes(200, "application/json", body)
        .header("Content-Disposition", "attachment; filename=\"" + PortalView.secretName(user.username()) + ".json\"");
  }

  /**
   * The license file of license {@code id}, made now from the snapshot (so it carries the latest
   * edit), for a user who holds the license or its customer's key; 404 for anyone else, as for a
   * license that does not exist.
   */
  WebResponse licenseFile(PortalUser user, String id) {
    Snapshot snapshot = store.snapshot();
    License license = id.startsWith(LicenseId.PREFIX) ? snapshot.license(new LicenseId(id)) : null;
    boolean theirs = license != null && (user.licenseId() != null ? user.licenseId().equals(license.id())
        : license.customerId().equals(user.customerId()));
    Customer customer = theirs ? snapshot.customer(license.customerId()) : null;
    if (customer == null) {
      return WebResponse.text(404, "not found");
    }
    if (license.revokedAt() != null) {
      return WebResponse.text(409, "this license is revoked: it has no license file");
    }
    byte[] jws = (files.issue(license, customer) + "\n").getBytes(StandardCharsets.US_ASCII);
    return WebResponse.bytes(200, LicenseFiles.MEDIA_TYPE, jws)
        .header("Content-Disposition", "attachment; filename=\"" + license.id().value() + ".jwt\"")
        .header("Cache-Control", "no-store");
  }
}
