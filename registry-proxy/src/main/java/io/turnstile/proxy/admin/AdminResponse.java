package io.turnstile.proxy.admin;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What an admin call answers: a status and a JSON body (null for none), or a 200 whose body is
 * {@code streamed} piece by piece.
 */
public record AdminResponse(int status, JsonNode body, StreamedBody streamed) {
  public AdminResponse(int status, JsonNode body) {
    this(status, body, null);
  }

  /** This answer with {@code code} added to its JSON error, a name a program can test. */
  AdminResponse withCode(String code) {
    ((com.fasterxml.jackson.databind.node.ObjectNode) body).put("code", code);
    return this;
  }

  static AdminResponse streamed(StreamedBody body) {
    return new AdminResponse(200, null, body);
  }

  static AdminResponse ok(JsonNode body) {
    return new AdminResponse(200, body);
  }

  static AdminResponse created(JsonNode body) {
    return new AdminResponse(201, body);
  }

  static AdminResponse noContent() {
    return new AdminResponse(204, null);
  }

  /** The whole of a streamed body, for a caller in this process that wants it at once. */
  public byte[] streamedBytes() {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try {
      streamed.writeTo(out::write);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
