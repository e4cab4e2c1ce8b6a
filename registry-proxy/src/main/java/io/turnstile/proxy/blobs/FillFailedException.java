package io.turnstile.proxy.blobs;

import io.turnstile.proxy.oci.RegistryException;

/**
 * A download into the cache ended without a blob kept. {@link #answer()} is what the upstream said
 * when it said something other than the blob (a 404, a 429): what the callers that waited for it may
 * answer too; null when the download broke off or the content was wrong, and they should ask again.
 */
public final class FillFailedException extends Exception {
  private final transient RegistryException answer;

  FillFailedException(String reason, RegistryException answer) {
    super(reason, null, false, false);
    this.answer = answer;
  }

  /** The upstream's refusal, for the followers to answer with; null for none. */
  public RegistryException answer() {
    return answer;
  }
}
