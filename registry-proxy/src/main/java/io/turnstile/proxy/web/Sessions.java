package io.turnstile.proxy.web;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Server-side sessions: the browser holds only a random id in a cookie ({@link SessionCookie});
 * what the session stands for stays here. A session unused for {@code idle} is gone; {@link #endIf}
 * ends sessions at once, for example every one that signed in with a key just rotated. At most
 * {@code max} live at once: beyond it the oldest idle one is ended. Thread-safe.
 *
 * @param <T> what a session stands for (who signed in)
 */
public final class Sessions<T> {
  /** One signed-in browser. Its CSRF token is fixed for its life and goes into every form. */
  public static final class Session<T> {
    private final String id;
    private final String csrf;
    private final T principal;
    private volatile Instant lastSeen;
    private final Map<String, Object> flash = new ConcurrentHashMap<>();

    private Session(String id, String csrf, T principal, Instant now) {
      this.id = id;
      this.csrf = csrf;
      this.principal = principal;
      this.lastSeen = now;
    }

    public String id() {
      return id;
    }

    public String csrf() {
      return csrf;
    }

    public T principal() {
      return principal;
    }

    /** Whether {@code presented} is this session's CSRF token, compared in constant time. */
    public boolean csrfMatches(String presented) {
      return presented != null
          && MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8), csrf.getBytes(StandardCharsets.UTF_8));
    }

    /** Keeps {@code value} for the next page only: {@link #take} hands it out once. */
    public void flash(String name, Object value) {
      flash.put(name, value);
    }

    /** The flashed value named {@code name}, removed, or null. */
    public <V> V take(String name, Class<V> type) {
      Object v = flash.remove(name);
      return type.isInstance(v) ? type.cast(v) : null;
    }

    @Override
    public String toString() {
      return "Session[" + principal + "]";
    }
  }

  private static final SecureRandom RANDOM = new SecureRandom();

  private final Duration idle;
  private final int max;
  private final Clock clock;
  private final Map<String, Session<T>> sessions = new ConcurrentHashMap<>();

  public Sessions(Duration idle, int max, Clock clock) {
    if (idle.isNegative() || idle.isZero()) {
      throw new IllegalArgumentException("idle must be positive");
    }
    this.idle = idle;
    this.max = max;
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** A new random token: 32 bytes, URL-safe base64. */
  public static String randomToken() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /** Starts a session for {@code principal}, with a fresh id and CSRF token. */
  public Session<T> start(T principal) {
    Objects.requireNonNull(principal, "principal");
    Instant now = clock.instant();
    if (sessions.size() >= max) {
      sweep(now);
      if (sessions.size() >= max) {
        sessions.values().stream().min(java.util.Comparator.comparing(s -> s.lastSeen))
            .ifPresent(s -> sessions.remove(s.id));
      }
    }
    Session<T> s = new Session<>(randomToken(), randomToken(), principal, now);
    sessions.put(s.id, s);
    return s;
  }

  /** The live session with this id, now marked used; null when unknown or idle too long (it ends then). */
  public Session<T> find(String id) {
    if (id == null) {
      return null;
    }
    Session<T> s = sessions.get(id);
    if (s == null) {
      return null;
    }
    Instant now = clock.instant();
    if (!now.isBefore(s.lastSeen.plus(idle))) {
      sessions.remove(id, s);
      return null;
    }
    s.lastSeen = now;
    return s;
  }

  /** Whether the session with this id is live, without marking it used (a page's open event stream asks). */
  public boolean isLive(String id) {
    Session<T> s = id == null ? null : sessions.get(id);
    return s != null && clock.instant().isBefore(s.lastSeen.plus(idle));
  }

  /** Ends the session with this id, if any. */
  public void end(String id) {
    if (id != null) {
      sessions.remove(id);
    }
  }

  /** Ends every session whose principal matches, and says which. */
  public List<Session<T>> endIf(Predicate<T> which) {
    List<Session<T>> ended = new ArrayList<>();
    for (Session<T> s : sessions.values()) {
      if (which.test(s.principal) && sessions.remove(s.id, s)) {
        ended.add(s);
      }
    }
    return ended;
  }

  /** The principals of the live sessions. */
  public List<T> principals() {
    return sessions.values().stream().map(Session::principal).toList();
  }

  /** Ends the sessions idle too long; {@link #find} does so too, one at a time. */
  public void sweep() {
    sweep(clock.instant());
  }

  private void sweep(Instant now) {
    sessions.values().removeIf(s -> !now.isBefore(s.lastSeen.plus(idle)));
  }

  public int size() {
    return sessions.size();
  }
}
