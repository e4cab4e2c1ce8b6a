package io.turnstile.proxy.upstream;

import java.util.Map;

/**
 * A request to an upstream registry, in upstream terms.
 *
 * @param method GET or HEAD
 * @param path the path and query at the upstream, e.g. {@code /v2/org/app/manifests/1.0.0}
 * @param repository the upstream repository, for the token scope
 * @param headers headers to forward (Accept, Range, conditionals)
 * @param blob whether redirects are handled per the upstream's {@code blobRedirects}
 */
public record UpstreamRequest(String method, String path, String repository, Map<String, String> headers, boolean blob) {
  public UpstreamRequest {
    headers = Map.copyOf(headers);
  }
}
