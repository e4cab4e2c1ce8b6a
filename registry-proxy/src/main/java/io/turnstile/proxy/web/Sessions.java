package io.turnstile.proxy.web;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Server-side sessions: the browser holds only a random id in a cookie ({@link SessionCookie});
 * what the session stands for stays here. A session unused for {@code idle} is gone; {@link #endIf}
 * ends sessions at once, for example every one that signed in with a key just rotated. At most
 * {@code max} live at once, and at most {@code perOwner} of one owner (for example the key a session
 * signed in with): a new session beyond either bound ends the least recently used one of its owner,
 * or else of all, so that one owner signing in again and again pushes out only its own sessions.
 * Starting, finding and ending a session take constant time; no call but {@link #endIf} and {@link
 * #principals} walks the table, which {@link SessionTable} keeps in order of use. Thread-safe.
 *
 * <p>With {@link SharedSessions}, the table is this replica's copy of sessions kept in the store:
 * starting and ending write there (blocking), a session this replica does not hold is read from
 * there once, uses are noted there in batches, and flashed values are kept there, sealed. A
 * session ended on any replica is forgotten here when the store's change feed brings the news.
 * The bound per owner is then kept in the store, for every replica at once; {@code max} bounds
 * this replica's copy only, and a session pushed out of it is read again when next asked for.
 *
 * @param <T> what a session stands for (who signed in)
 */
public final class Sessions<T> {
  /** One signed-in browser. Its CSRF token is fixed for its life and goes into every form. */
  public static final class Session<T> {
    private final String id;
    private final String csrf;
    private final T principal;
    /** Whose it is, for the bound per owner ({@link SessionTable} keeps it). */
    final Object owner;
    /** When it was last used on this replica; written under the lock of its {@link Sessions}. */
    volatile Instant lastSeen;
    private final Map<String, Object> flash = new ConcurrentHashMap<>();
    /** Where flashed values are kept instead of {@link #flash}; null for memory only. */
    private final SharedSessions<T> shared;
    /** The id's hash, as the store keys it; null for memory only. */
    private final String hash;

    private Session(String id, String csrf, T principal, Object owner, Instant now, SharedSessions<T> shared) {
      this.id = id;
      this.csrf = csrf;
      this.principal = principal;
      this.owner = owner;
      this.lastSeen = now;
      this.shared = shared;
      this.hash = shared == null ? null : SharedSessions.hash(id);
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

    /**
     * Keeps {@code value} for the next page only: {@link #take} hands it out once, on whichever
     * replica serves that page. Shared, it is written to the store (sealed): blocking.
     */
    public void flash(String name, Object value) {
      if (shared != null) {
        try {
          shared.flash(id, name, value);
          return;
        } catch (RuntimeException e) {
          // The store is unreachable: the next page on this replica still shows it.
          SharedSessions.log.warn("flash kept on this replica only: {}", e.getMessage());
        }
      }
      flash.put(name, value);
    }

    /** The flashed value named {@code name}, removed, or null. Shared, it is read from the store: blocking. */
    public <V> V take(String name, Class<V> type) {
      Object v = flash.remove(name);
      if (v == null && shared != null) {
        return shared.take(id, name, type);
      }
      return type.isInstance(v) ? type.cast(v) : null;
    }

    @Override
    public String toString() {
      return "Session[" + principal + "]";
    }
  }

  private static final SecureRandom RANDOM = new SecureRandom();

  private final Duration idle;
  private final int perOwner;
  private final Function<? super T, ?> owner;
  private final Clock clock;
  /** The store the sessions are kept in, or null when they live in this replica's memory only. */
  private final SharedSessions<T> shared;
  /** The sessions held here, in order of use. Guarded by {@code this}. */
  private final SessionTable<T> table;
  /**
   * Hashes of sessions that ended lately on some replica, so that one read from the store just
   * before it ended is not held after the news came. Guarded by {@code this}.
   */
  private final Map<String, Boolean> endedLately = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
      return size() > ENDED_REMEMBERED;
    }
  };
  private static final int ENDED_REMEMBERED = 10_000;

  /** Sessions with no bound per owner: only {@code max} in all. */
  public Sessions(Duration idle, int max, Clock clock) {
    this(idle, max, max, principal -> principal, clock);
  }

  /**
   * @param idle how long an unused session lives
   * @param max most sessions in all
   * @param perOwner most sessions of one owner
   * @param owner whose a session is, from what it stands for (compared with {@code equals})
   */
  public Sessions(Duration idle, int max, int perOwner, Function<? super T, ?> owner, Clock clock) {
    this(idle, max, perOwner, owner, clock, null);
  }

  /**
   * Sessions kept in {@code shared} too (see the class comment), or in memory only when it is null.
   *
   * @param perOwner most sessions of one owner, on all replicas together when shared
   * @param max most sessions this replica holds in memory
   */
  public Sessions(Duration idle, int max, int perOwner, Function<? super T, ?> owner, Clock clock,
      SharedSessions<T> shared) {
    if (idle.isNegative() || idle.isZero()) {
      throw new IllegalArgumentException("idle must be positive, not " + idle);
    }
    if (max < 1 || perOwner < 1) {
      throw new IllegalArgumentException("max and perOwner must be at least 1, not " + max + " and " + perOwner);
    }
    this.idle = idle;
    this.perOwner = perOwner;
    this.table = new SessionTable<>(idle, max, perOwner);
    this.owner = Objects.requireNonNull(owner, "owner");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.shared = shared;
    if (shared != null) {
      shared.onEnded(this::forget);
    }
  }

  /** A new random token: 32 bytes, URL-safe base64. */
  public static String randomToken() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /**
   * Starts a session for {@code principal}, with a fresh id and CSRF token. When its owner already
   * has {@code perOwner} sessions, the owner's least recently used one ends; when there are {@code
   * max} in all, the least recently used of all ends.
   */
  public Session<T> start(T principal) {
    Objects.requireNonNull(principal, "principal");
    Object key = Objects.requireNonNull(owner.apply(principal), "owner");
    Session<T> s = new Session<>(randomToken(), randomToken(), principal, key, clock.instant(), shared);
    if (shared != null) {
      shared.started(s.id, s.csrf, principal, key, perOwner);
    }
    hold(s);
    return s;
  }

  /** Puts {@code s} in the table, pushing out the least recently used beyond the bounds. */
  private synchronized void hold(Session<T> s) {
    table.hold(s);
  }

  /**
   * The live session with this id, now marked used; null when unknown or idle too long (it ends
   * then). Shared, a session this replica does not hold is read from the store: blocking.
   */
  public Session<T> find(String id) {
    if (id == null) {
      return null;
    }
    Instant now = clock.instant();
    Session<T> s = findHeld(id, now);
    if (s != null || shared == null) {
      return s;
    }
    SharedSessions.Found<T> found = shared.find(id);
    // Another replica may have seen it later than this one: its use counts as much as ours.
    if (found == null || !now.isBefore(found.lastSeen().plus(idle))) {
      return null;
    }
    Session<T> loaded = new Session<>(id, found.csrf(), found.principal(),
        Objects.requireNonNull(owner.apply(found.principal()), "owner"), now, shared);
    synchronized (this) {
      Session<T> raced = table.get(id);
      if (raced != null || endedLately.containsKey(loaded.hash)) {
        return raced;
      }
      table.hold(loaded);
    }
    shared.seen(id, now);
    return loaded;
  }

  private Session<T> findHeld(String id, Instant now) {
    synchronized (this) {
      Session<T> s = table.get(id);
      if (s == null) {
        return null;
      }
      if (table.isIdle(s, now)) {
        // Shared, the copy here only looks idle: the store knows of uses on other replicas.
        table.drop(s);
        return null;
      }
      table.used(s, now);
      if (shared != null) {
        shared.seen(id, now);
      }
      return s;
    }
  }

  /**
   * Whether the session with this id is live, without marking it used (a page's open event stream
   * asks), from memory only. Shared, a session held here counts as live even when this replica has
   * not seen it for the idle time, since it may be in use on another: {@link #isLiveChecked} says.
   */
  public boolean isLive(String id) {
    if (id == null) {
      return false;
    }
    Session<T> s;
    synchronized (this) {
      s = table.get(id);
    }
    return s != null && (shared != null || !table.isIdle(s, clock.instant()));
  }

  /**
   * As {@link #isLive}, and a shared session that this replica has not seen for the idle time is
   * asked of the store, whose last use counts every replica's (blocking then); it ends here when it
   * is idle there too.
   */
  public boolean isLiveChecked(String id) {
    Session<T> s;
    synchronized (this) {
      s = id == null ? null : table.get(id);
    }
    Instant now = clock.instant();
    if (s == null || !table.isIdle(s, now)) {
      return s != null;
    }
    SharedSessions.Found<T> found = shared == null ? null : shared.find(id);
    synchronized (this) {
      if (found != null && now.isBefore(found.lastSeen().plus(idle))) {
        // Another replica's use: the copy here catches up, without a use of its own.
        s.lastSeen = found.lastSeen();
        return true;
      }
      if (table.get(id) == s) {
        table.drop(s);
      }
      return false;
    }
  }

  /**
   * Ends the session with this id, if any, on every replica. Shared, the store is written even when
   * this replica does not hold the session (blocking).
   */
  public void end(String id) {
    if (id == null) {
      return;
    }
    Session<T> s;
    synchronized (this) {
      s = table.get(id);
      if (s != null) {
        table.drop(s);
      }
    }
    if (shared != null) {
      shared.ended(List.of(id), s == null ? null : s.principal, "signed out");
    }
  }

  /**
   * Forgets the session with this id here only, as {@link #endIf} does: for a judgement every
   * replica makes for itself (the key it signed in with no longer counts).
   */
  public synchronized void endHere(String id) {
    Session<T> s = id == null ? null : table.get(id);
    if (s != null) {
      table.drop(s);
    }
  }

  /** Forgets the sessions whose hashes these are: they ended on some replica. */
  private synchronized void forget(java.util.Set<String> hashes) {
    hashes.forEach(h -> endedLately.put(h, Boolean.TRUE));
    List<Session<T>> gone = table.all().stream().filter(s -> hashes.contains(s.hash)).toList();
    gone.forEach(table::drop);
  }

  /** Ends every session whose principal matches, and says which. */
  public List<Session<T>> endIf(Predicate<T> which) {
    List<Session<T>> all;
    synchronized (this) {
      all = List.copyOf(table.all());
    }
    // The test may consult a store: it runs outside the lock, and a session found meanwhile still ends.
    List<Session<T>> ended = new ArrayList<>();
    for (Session<T> s : all) {
      if (which.test(s.principal)) {
        synchronized (this) {
          if (table.get(s.id) == s) {
            table.drop(s);
            ended.add(s);
          }
        }
      }
    }
    // Not written to the store: the test is this replica's own judgement (its snapshot may lag
    // behind the one that started a session), and every replica makes it for itself.
    return ended;
  }

  /** The principals of the live sessions. */
  public synchronized List<T> principals() {
    return table.all().stream().map(Session::principal).toList();
  }

  /** Ends the sessions idle too long; {@link #find} and {@link #start} do so too. */
  public synchronized void sweep() {
    table.dropIdle(clock.instant());
  }

  public synchronized int size() {
    return table.size();
  }
}
