package io.turnstile.proxy.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.turnstile.store.WebSessions;
import java.time.Instant;
import java.util.Collection;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Where one area's sessions ({@code console}, {@code portal}) are kept beyond a replica's memory:
 * the store's {@link WebSessions}, so that a request landing on any replica finds a session made on
 * another. What a session stands for is written by the area's own {@link Codec}; flashed values
 * are written as JSON and sealed by the store. Every call but {@link #seen} reads or writes the
 * database: blocking.
 *
 * @param <T> what a session stands for
 */
public final class SharedSessions<T> {
  private final WebSessions store;
  private final String area;
  private final ObjectMapper json;
  private final Codec<T> codec;
  static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(SharedSessions.class);

  /** How an area writes what its sessions stand for, and reads it back; never a secret. */
  public interface Codec<T> {
    String write(T principal);

    /** The principal {@link #write} wrote; throws when it cannot read it. */
    T read(String written);

    /** Who {@code principal} is, as the activity log names the one who signed out. */
    String actor(T principal);
  }

  /**
   * @param area the area's name, kept with each session, so a console id never opens the portal
   * @param json writes and reads flashed values
   */
  public SharedSessions(WebSessions store, String area, ObjectMapper json, Codec<T> codec) {
    this.store = Objects.requireNonNull(store, "store");
    this.area = Objects.requireNonNull(area, "area");
    // A value flashed by another version of Turnstile may carry more fields: the page shows what it knows.
    this.json = Objects.requireNonNull(json, "json").copy()
        .configure(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    this.codec = Objects.requireNonNull(codec, "codec");
  }

  /** A session kept in the store, as another replica started it. */
  record Found<T>(T principal, String csrf, Instant lastSeen) {}

  void started(String id, String csrf, T principal, Object owner, int perOwner) {
    store.start(area, id, csrf, codec.write(principal), String.valueOf(owner), perOwner);
  }

  /** The live stored session {@code id}, or null. */
  Found<T> find(String id) {
    WebSessions.Stored s = store.find(area, id);
    if (s == null) {
      return null;
    }
    try {
      return new Found<>(codec.read(s.principal()), s.csrf(), s.lastSeenAt());
    } catch (RuntimeException e) {
      // Written by another version of Turnstile: signing in again is the way on.
      return null;
    }
  }

  void seen(String id, Instant at) {
    store.seen(id, at);
  }

  void ended(Collection<String> ids, T principal, String why) {
    store.end(ids, principal == null ? "turnstile" : codec.actor(principal), area + " session " + why);
  }

  void flash(String id, String name, Object value) {
    store.flash(id, name, write(value));
  }

  <V> V take(String id, String name, Class<V> as) {
    String v;
    try {
      v = store.take(id, name);
    } catch (RuntimeException e) {
      // The store is unreachable: the page goes on without it; it waits there for a later page.
      log.warn("cannot read a flashed value yet: {}", e.getMessage());
      return null;
    }
    if (v == null) {
      return null;
    }
    try {
      return json.readValue(v, as);
    } catch (JsonProcessingException e) {
      return null;
    }
  }

  /** Calls {@code ended} with the hashes of the sessions that ended on any replica. */
  void onEnded(Consumer<Set<String>> ended) {
    store.onEnded(ended);
  }

  static String hash(String id) {
    return WebSessions.hash(id);
  }

  private String write(Object value) {
    try {
      return json.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
    }
  }
}
