package io.turnstile.proxy.upstream;

import io.netty.handler.codec.http.HttpHeaders;

/** A small upstream answer read whole (manifests, tag lists, referrers). */
public record UpstreamResponse(int status, HttpHeaders headers, byte[] body) {}
