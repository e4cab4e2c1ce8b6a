package io.turnstile.proxy.token;

import java.time.Instant;
import java.util.Set;

/**
 * The claims of an access token whose signature, issuer, audience and lifetime were checked.
 *
 * @param subject the username the token was issued to
 * @param credentialId the exact key it was issued for; the live snapshot decides whether it
 *     still counts
 * @param pullRepositories repositories the token grants {@code pull} on
 * @param catalog whether it grants {@code registry:catalog:*}
 */
public record VerifiedToken(
    String subject, String credentialId, Instant expiresAt, Set<String> pullRepositories, boolean catalog) {}
