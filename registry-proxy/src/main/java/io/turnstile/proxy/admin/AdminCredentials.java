package io.turnstile.proxy.admin;

import io.turnstile.store.ApiToken;
import io.turnstile.store.ApiTokens;
import io.turnstile.store.Keys;
import java.net.InetAddress;

/**
 * Who an admin API call comes from, from its {@code Authorization: Bearer} header alone: the
 * break-glass admin token, or a personal API token ({@code tsa_...}). Wrong credentials of either
 * kind count against the client's address in the admin token's throttle. Reads memory only: safe
 * on an event loop.
 */
final class AdminCredentials {
  private static final String BEARER = "Bearer ";

  private final AdminToken adminToken;
  private final ApiTokens apiTokens;

  AdminCredentials(AdminToken adminToken, ApiTokens apiTokens) {
    this.adminToken = adminToken;
    this.apiTokens = apiTokens;
  }

  /** Whole seconds {@code client} must wait before a credential it presents is looked at; 0 when none. */
  long secondsToWait(InetAddress client) {
    return adminToken.secondsToWait(client);
  }

  /**
   * The actor the header proves, or null when it proves none (a missing header is not counted as
   * a wrong credential: it guesses nothing).
   */
  Actor authenticate(String header, InetAddress client) {
    if (header == null) {
      return null;
    }
    if (adminToken.isAuthorization(header)) {
      return Actor.ADMIN_TOKEN;
    }
    if (header.startsWith(BEARER + Keys.API_TOKEN_PREFIX)) {
      ApiToken t = apiTokens.authenticate(header.substring(BEARER.length()));
      if (t != null) {
        return ApiTokensApi.actor(t);
      }
    }
    if (client != null) {
      adminToken.failed(client);
    }
    return null;
  }
}
