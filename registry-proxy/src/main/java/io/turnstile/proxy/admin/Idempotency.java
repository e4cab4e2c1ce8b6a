package io.turnstile.proxy.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.turnstile.store.IdempotencyKeyUsedException;
import io.turnstile.store.IdempotencyKeys;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code Idempotency-Key} header of admin writes (the IETF httpapi draft's, as Stripe's API
 * has it): a write retried with the same key and body within 24 h, on any replica, is applied at
 * most once and answered what the first one was; the same key with another request is {@code 422}.
 * The key is recorded with the write's change, in its transaction (see {@link IdempotencyKeys}), so
 * a retry after an {@code OUTCOME_UNKNOWN} answer learns which it was. An answer that carried a
 * secret (a new license key or API token) is never stored with it: its retry is {@code 409
 * KEY_ALREADY_ISSUED}, saying the key must be rotated again.
 */
final class Idempotency {
  private static final Logger log = LoggerFactory.getLogger(Idempotency.class);
  /** The answer fields that hold a secret shown once. */
  private static final List<String> SECRETS = List.of("key", "token");
  /** How long a retry waits for the first request's answer to be recorded. */
  private static final java.time.Duration ANSWER_WAIT = java.time.Duration.ofSeconds(2);

  private final IdempotencyKeys keys;
  private final ObjectMapper json;

  Idempotency(IdempotencyKeys keys, ObjectMapper json) {
    this.keys = keys;
    this.json = json;
  }

  /**
   * Runs {@code call}, a {@code method} on {@code path} with {@code body} by {@code actor}, under
   * {@code key} (null: no header, the call simply runs). Reads are never keyed.
   */
  AdminResponse run(String method, String path, byte[] body, String actor, String key, Supplier<AdminResponse> call) {
    if (key == null || method.equals("GET") || method.equals("HEAD")) {
      return call.get();
    }
    if (key.isEmpty() || key.length() > 255 || !key.chars().allMatch(c -> c >= 0x21 && c <= 0x7e)) {
      throw ApiError.badRequest("Idempotency-Key", "must be 1 to 255 visible ASCII characters, e.g. a UUID");
    }
    String fingerprint = fingerprint(method, path, body);
    Optional<IdempotencyKeys.Recorded> earlier = keys.find(actor, key);
    if (earlier.isPresent()) {
      return replay(earlier.get(), fingerprint, actor, key);
    }
    IdempotencyKeys.Claimed<AdminResponse> done;
    try {
      done = keys.claiming(actor, key, fingerprint, call);
    } catch (IdempotencyKeyUsedException raced) {
      // Another replica committed the same key a moment earlier; this change was rolled back.
      return replay(keys.find(actor, key).orElseThrow(() -> raced), fingerprint, actor, key);
    }
    AdminResponse answer = done.result();
    if (done.recorded()) {
      record(actor, key, answer);
    }
    return answer;
  }

  /** Records the answer to the request that recorded {@code key}, any secret in it left out. */
  private void record(String actor, String key, AdminResponse answer) {
    try {
      String kept = null;
      boolean withheld = false;
      if (answer.body() instanceof ObjectNode body) {
        withheld = SECRETS.stream().anyMatch(body::has);
        kept = json.writeValueAsString(body.deepCopy().remove(SECRETS));
      }
      keys.answer(actor, key, answer.status(), kept, withheld);
    } catch (Exception e) {
      // The change stands; a retry then learns that it was applied, without its first answer.
      log.warn("the answer to a write with an Idempotency-Key was not recorded: {}", e.getMessage());
    }
  }

  /**
   * The first request committed its change and records its answer a moment later (or is still on
   * its way, on another replica): worth waiting for briefly rather than answering less than it.
   * Runs on the admin API's blocking executor, never on an event loop.
   */
  private IdempotencyKeys.Recorded awaitAnswer(IdempotencyKeys.Recorded first, String actor, String key) {
    long deadline = System.nanoTime() + ANSWER_WAIT.toNanos();
    IdempotencyKeys.Recorded now = first;
    while (now.status() == null && System.nanoTime() < deadline) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return now;
      }
      now = keys.find(actor, key).orElse(now);
    }
    return now;
  }

  private AdminResponse replay(IdempotencyKeys.Recorded first, String fingerprint, String actor, String key) {
    if (!first.fingerprint().equals(fingerprint)) {
      return new AdminResponse(422, json.createObjectNode()
          .put("error", "this Idempotency-Key was used for another request; use a new key for a new request")
          .put("code", "IDEMPOTENCY_KEY_REUSED"));
    }
    if (first.status() == null) {
      first = awaitAnswer(first, actor, key);
    }
    if (first.status() == null) {
      return new AdminResponse(409, json.createObjectNode()
          .put("error", "a request with this Idempotency-Key was applied, but its answer was not recorded:"
              + " read the object back")
          .put("code", "ALREADY_APPLIED"));
    }
    if (first.secretWithheld()) {
      ObjectNode refusal = json.createObjectNode()
          .put("error", "this request was already applied and its key issued; a key is shown once and never"
              + " kept, so rotate it again to get a new one")
          .put("code", "KEY_ALREADY_ISSUED");
      refusal.set("first", parse(first.response()));
      return new AdminResponse(409, refusal);
    }
    log.info("admin write with an Idempotency-Key already applied: answered as the first time");
    return new AdminResponse(first.status(), parse(first.response()));
  }

  private JsonNode parse(String response) {
    try {
      return response == null ? null : json.readTree(response);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("a recorded answer is not JSON", e);
    }
  }

  private static String fingerprint(String method, String path, byte[] body) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update((method + " " + path + "\n").getBytes(StandardCharsets.UTF_8));
      sha.update(body == null ? new byte[0] : body);
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
