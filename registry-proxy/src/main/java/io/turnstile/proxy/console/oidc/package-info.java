/**
 * The console's sign-in through an OpenID Connect provider: the authorization code flow with PKCE,
 * {@code state} and {@code nonce} (Nimbus OAuth 2.0 SDK), the provider's discovery document and
 * keys, the mapping of a verified claim to a console role, and where a browser may be sent after.
 * Blocking (it calls the provider): used from the admin executor only.
 */
package io.turnstile.proxy.console.oidc;
