package io.turnstile.store;

import java.time.Instant;

/**
 * One vendor action: a change of a customer, license, key, signing key or API token, or a sign-in.
 *
 * @param actor as recorded: a person's verified name, {@code api-token:<name> (<owner>)}, {@code
 *     admin-token}, or what earlier versions recorded
 * @param customerId the customer it concerns, or null
 * @param licenseId the license it concerns, or null
 */
public record ActivityRecord(Instant at, String actor, String action, String customerId, String licenseId,
    String detail) {}
