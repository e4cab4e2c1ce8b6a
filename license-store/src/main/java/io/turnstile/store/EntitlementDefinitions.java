package io.turnstile.store;

import io.turnstile.config.EntitlementField;

/**
 * The entitlement fields defined through the admin API, kept in the store beside those of the
 * configuration. Every replica reads them from {@link Snapshot#entitlements()}, which follows a
 * change as it follows any other write (within the change feed's round trip). Each change is an
 * event of the activity log ({@code application.entitlement_defined}, {@code _changed}, {@code
 * _deleted}), naming no customer; no webhook event is sent, since no license changes.
 */
public interface EntitlementDefinitions {
  /** The prefix of the activity log's actions for these changes. */
  String EVENT_PREFIX = "application.entitlement_";

  /** Most fields one application may have defined through the API: license files stay small. */
  int MAX_FIELDS = 100;

  /** What {@link #define} did: the field as now defined, and whether it is new. */
  record Defined(EntitlementFields.Field field, boolean created) {}

  /**
   * Defines field {@code field.name()} of {@code application}, or changes its type, default or
   * visibility. A field that is already so defined is left as it is (no event).
   *
   * @throws NoSuchApplicationException when the configuration has no such application
   * @throws ConflictException when the configuration defines the field (it is changed only there);
   *     when the type changes, or a field is defined anew, while a license that is not revoked holds a
   *     value that is not of the type (the message counts them and names a few); or when the
   *     application already has {@link #MAX_FIELDS} fields defined through the API
   */
  Defined define(String application, EntitlementField field, String actor);

  /**
   * Deletes field {@code name} of {@code application}. Refused while a license that is not revoked
   * holds a value for it: the vendor clears those values first, so that no customer's license file
   * loses a value nobody chose to take away. Values kept by revoked licenses stay stored and unused.
   *
   * @throws NoSuchApplicationException when the configuration has no such application
   * @throws NoSuchEntitlementFieldException when the application has no such field
   * @throws ConflictException when the configuration defines the field, or licenses hold values
   */
  void delete(String application, String name, String actor);
}
