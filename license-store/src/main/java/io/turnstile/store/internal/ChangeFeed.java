package io.turnstile.store.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a replica's snapshot in step with writes made by other replicas sharing PostgreSQL. A
 * dedicated connection, outside the pool, {@code LISTEN}s on {@value StoreWriter#CHANNEL}; every
 * notification, and every {@code pollInterval} without one, the writer catches up from its cursor.
 * The poll covers a lost notification, a dropped listener (reconnected with backoff) and poolers
 * such as PgBouncer in transaction mode, where {@code LISTEN} does not work. While the database
 * is unreachable pulls go on from the last snapshot; the feed says so once, and catches up when
 * the database returns.
 */
final class ChangeFeed implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ChangeFeed.class);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

  private final Database database;
  private final StoreWriter writer;
  private final Duration pollInterval;
  private final boolean listen;
  private final Clock clock;
  private final Thread thread;
  private volatile boolean running = true;
  private volatile boolean reachable = true;
  private volatile Instant lastContact;
  private volatile Connection listener;

  /**
   * @param listen whether to {@code LISTEN} at all; without it the feed only polls
   */
  ChangeFeed(Database database, StoreWriter writer, Duration pollInterval, boolean listen, Clock clock) {
    this.database = database;
    this.writer = writer;
    this.pollInterval = pollInterval;
    this.listen = listen;
    this.clock = clock;
    this.lastContact = clock.instant();
    this.thread = new Thread(this::run, "turnstile-store-feed");
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /** Whether the feed's thread runs. */
  boolean running() {
    return thread.isAlive();
  }

  /** Whether the last attempt to read the events table succeeded. */
  boolean reachable() {
    return reachable;
  }

  /** When the database last answered the feed. */
  Instant lastContact() {
    return lastContact;
  }

  private void run() {
    long backoff = 100;
    while (running) {
      if (listen && listener == null) {
        try {
          listener = subscribe();
          backoff = 100;
        } catch (SQLException e) {
          sleep(Math.min(backoff, pollInterval.toMillis()));
          backoff = Math.min(backoff * 2, MAX_BACKOFF.toMillis());
        }
      }
      Connection c = listener;
      if (c != null) {
        try {
          // Returns at the first notification, or after the poll interval without one.
          c.unwrap(PGConnection.class).getNotifications((int) pollInterval.toMillis());
        } catch (SQLException e) {
          if (running) {
            log.warn("the license store's change listener was cut ({}); polling every {} ms until it is back",
                e.getMessage(), pollInterval.toMillis());
          }
          closeListener();
        }
      } else if (!listen) {
        sleep(pollInterval.toMillis());
      }
      if (running) {
        poll();
      }
    }
  }

  private Connection subscribe() throws SQLException {
    Connection c = database.dedicatedConnection();
    try (Statement s = c.createStatement()) {
      s.execute("LISTEN " + StoreWriter.CHANNEL);
    } catch (SQLException e) {
      c.close();
      throw e;
    }
    return c;
  }

  private void poll() {
    try {
      int applied = writer.catchUp();
      lastContact = clock.instant();
      if (!reachable) {
        reachable = true;
        log.info("the license store's database is reachable again; caught up to event {} ({} applied)",
            writer.cursor(), applied);
      }
    } catch (RuntimeException e) {
      if (reachable) {
        reachable = false;
        log.warn("the license store's database is unreachable ({}); serving pulls from the snapshot of event {}",
            rootMessage(e), writer.cursor());
      }
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t.getMessage();
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void closeListener() {
    Connection c = listener;
    listener = null;
    if (c != null) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // the connection is gone either way
      }
    }
  }

  @Override
  public void close() {
    running = false;
    closeListener();
    thread.interrupt();
    try {
      thread.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
