package io.turnstile.store.internal;

import io.turnstile.store.Catalog;
import io.turnstile.store.InvalidInputException;
import io.turnstile.store.IssuedKey;
import io.turnstile.store.Keys;
import io.turnstile.store.LicenseId;
import io.turnstile.store.NewLicense;
import io.turnstile.store.UpstreamCredentials;
import io.turnstile.store.VersionRange;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * A new license, checked and given its id and key: what creating or importing a license inserts.
 * Input errors name fields as {@link NewLicense} does ({@code name}, {@code versions[1]}, ...).
 */
record PreparedLicense(
    LicenseId id,
    String name,
    String application,
    Instant expiresAt,
    Set<String> versions,
    List<VersionRange> ranges,
    boolean keepReleasedBeforeExpiry,
    UpstreamCredentials upstreamCredentials,
    String key,
    String keyId,
    java.util.Map<String, String> entitlements) {

  /** Checks {@code request} (but not its customer) and draws the new license's id and key. */
  static PreparedLicense of(NewLicense request, Catalog catalog, io.turnstile.store.EntitlementFields fields) {
    String application = Inputs.application(catalog, request.application());
    String name = request.name() == null ? application : Inputs.name("name", request.name());
    Set<String> versions = Inputs.versions("versions", request.versions());
    List<VersionRange> ranges = List.copyOf(Inputs.ranges("ranges", request.ranges()).values());
    Inputs.checkCredentials(request.upstreamCredentials());
    java.util.Map<String, String> entitlements = Inputs.entitlements(fields, application, request.entitlements());
    if (entitlements.containsValue(null)) {
      throw new InvalidInputException("entitlements." + entitlements.entrySet().stream()
          .filter(e -> e.getValue() == null).findFirst().orElseThrow().getKey(), "must not be null");
    }
    return new PreparedLicense(new LicenseId(Keys.newId(LicenseId.PREFIX)), name, application,
        request.expiresAt(), versions, ranges, request.keepReleasedBeforeExpiry(), request.upstreamCredentials(),
        Keys.newKey(), Keys.newId("lk_"), entitlements);
  }

  String keyHash() {
    return Keys.hash(key);
  }

  Long expiresAtMillis() {
    return expiresAt == null ? null : expiresAt.toEpochMilli();
  }

  IssuedKey issuedKey() {
    return new IssuedKey(id.value(), key, keyId);
  }

  /** The detail of the {@code license.created} event. */
  String createdDetail() {
    return "application=" + application + " versions=" + versions
        + (ranges.isEmpty() ? "" : " ranges=" + ranges)
        + (keepReleasedBeforeExpiry ? " keepReleasedBeforeExpiry=true" : "") + " expiresAt=" + expiresAt
        + (upstreamCredentials == null ? "" : " upstreamUsername=" + upstreamCredentials.username())
        + (entitlements.isEmpty() ? "" : " entitlements=" + entitlements);
  }

  @Override
  public String toString() {
    return "PreparedLicense[id=" + id + ", application=" + application + ", key=***]";
  }
}
