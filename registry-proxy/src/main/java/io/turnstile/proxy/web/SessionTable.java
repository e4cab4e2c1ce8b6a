package io.turnstile.proxy.web;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The sessions one replica holds in memory, kept in order of use: the bookkeeping behind the bounds
 * of {@link Sessions}. Every session is listed least recently used first, and each owner's sessions
 * in the same order, so that the one to push out is always the first of a list: holding a session
 * beyond {@code perOwner} of its owner ends that owner's least recently used one, and beyond {@code
 * max} in all the least recently used of all. Idle sessions gather at the front, so ending them
 * stops at the first live one. Every call takes constant time but {@link #dropIdle}, which walks
 * only the idle ones, and {@link #all}.
 *
 * <p>Not thread-safe: the {@link Sessions} that owns it calls it holding its own lock.
 *
 * @param <T> what a session stands for
 */
final class SessionTable<T> {
  private final Duration idle;
  private final int max;
  private final int perOwner;
  /**
   * Every session, least recently used first: {@link #used} moves a session to the end, so the
   * first is the one to push out and idle ones gather at the front.
   */
  private final LinkedHashMap<String, Sessions.Session<T>> byUse = new LinkedHashMap<>();
  /** Each owner's sessions, least recently used first, as in {@link #byUse}. */
  private final Map<Object, LinkedHashMap<String, Sessions.Session<T>>> byOwner = new HashMap<>();

  SessionTable(Duration idle, int max, int perOwner) {
    this.idle = idle;
    this.max = max;
    this.perOwner = perOwner;
  }

  /** The session with this id, idle or not; null when none is held. */
  Sessions.Session<T> get(String id) {
    return byUse.get(id);
  }

  /** Puts {@code s} in the table, ending the idle ones and pushing out the least recently used beyond the bounds. */
  void hold(Sessions.Session<T> s) {
    dropIdle(s.lastSeen);
    LinkedHashMap<String, Sessions.Session<T>> own = byOwner.get(s.owner);
    if (own != null && own.size() >= perOwner) {
      drop(own.values().iterator().next());
    }
    if (byUse.size() >= max) {
      drop(byUse.values().iterator().next());
    }
    byUse.put(s.id(), s);
    byOwner.computeIfAbsent(s.owner, k -> new LinkedHashMap<>()).put(s.id(), s);
  }

  /** Marks {@code s}, which the table holds, used at {@code now}: it goes to the end of both lists. */
  void used(Sessions.Session<T> s, Instant now) {
    s.lastSeen = now;
    // Insertion order is the order of use: taken out and put back, it goes to the end.
    byUse.remove(s.id());
    byUse.put(s.id(), s);
    LinkedHashMap<String, Sessions.Session<T>> own = byOwner.get(s.owner);
    own.remove(s.id());
    own.put(s.id(), s);
  }

  /** Whether {@code s} has gone unused for the idle time at {@code now}. */
  boolean isIdle(Sessions.Session<T> s, Instant now) {
    return !now.isBefore(s.lastSeen.plus(idle));
  }

  /** Forgets {@code s}. */
  void drop(Sessions.Session<T> s) {
    byUse.remove(s.id());
    forgetOwner(s);
  }

  /**
   * Ends the idle sessions at the front of {@link #byUse}, stopping at the first live one: the
   * table is in order of use, so behind it is nothing older. (Should the clock step back, an idle
   * one may hide behind a live one; {@link Sessions#find} still ends it when it is asked for.)
   */
  void dropIdle(Instant now) {
    Iterator<Sessions.Session<T>> it = byUse.values().iterator();
    while (it.hasNext()) {
      Sessions.Session<T> s = it.next();
      if (!isIdle(s, now)) {
        return;
      }
      it.remove();
      forgetOwner(s);
    }
  }

  /** Every session held, least recently used first: a live view, to copy before the lock is let go. */
  Collection<Sessions.Session<T>> all() {
    return byUse.values();
  }

  int size() {
    return byUse.size();
  }

  private void forgetOwner(Sessions.Session<T> s) {
    LinkedHashMap<String, Sessions.Session<T>> own = byOwner.get(s.owner);
    if (own != null) {
      own.remove(s.id());
      if (own.isEmpty()) {
        byOwner.remove(s.owner);
      }
    }
  }
}
