package io.turnstile.store;

/** An endpoint with its signing secret ({@code whsec_...}), answered only when the secret is made. */
public record IssuedWebhookSecret(WebhookEndpoint endpoint, String secret) {
  @Override
  public String toString() {
    return "IssuedWebhookSecret[endpoint=" + endpoint.id() + ", secret=***]";
  }
}
