package io.turnstile.store.internal;

import io.turnstile.store.StoreUnavailableException;
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
 * notification, and every {@code pollInterval} without one, the writer catches up from its cursor,
 * reading through that same connection. The poll covers a lost notification and poolers such as
 * PgBouncer in transaction mode, where {@code LISTEN} does not work.
 *
 * <p>While the database is unreachable pulls go on from the last snapshot, writes are refused at
 * once, and the feed tries to connect again every {@value #MAX_BACKOFF_MS} ms at most. The moment a
 * connection succeeds, before anything else, it listens and catches up from the cursor over that
 * connection: the pool, which backs off on its own schedule, is not in the way, so every edit
 * committed before or during the outage is enforced within a round trip of the database's return.
 */
final class ChangeFeed implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ChangeFeed.class);
  /** The longest wait between two attempts to reach the database. */
  static final long MAX_BACKOFF_MS = 500;

  private final Database database;
  private final StoreWriter writer;
  private final Duration pollInterval;
  private final boolean listen;
  private final Clock clock;
  private final Thread thread;
  private volatile boolean running = true;
  private boolean reported = true;
  private volatile Instant lastContact;
  private volatile Connection listener;

  /**
   * @param listen whether to {@code LISTEN} at all; without it the feed only polls, through the pool
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

  /** Whether the database answers, as far as this replica knows. */
  boolean reachable() {
    return database.reachability().unreachableSince() == null;
  }

  /** When the database last answered the feed. */
  Instant lastContact() {
    return lastContact;
  }

  private void run() {
    long backoff = 50;
    while (running) {
      if (!listen) {
        sleep(pollInterval.toMillis());
        poll(null);
        continue;
      }
      if (listener == null) {
        try {
          listener = subscribe();
        } catch (SQLException e) {
          failed(e);
          sleep(backoff);
          backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
          continue;
        }
        backoff = 50;
        // Listening before reading: a write committed in between is both read and announced.
        poll(listener);
        continue;
      }
      Connection c = listener;
      try {
        // Returns at the first notification, or after the poll interval without one.
        c.unwrap(PGConnection.class).getNotifications((int) pollInterval.toMillis());
      } catch (SQLException e) {
        // Only the connection may be gone (a killed backend, a pooler's restart): connecting again
        // at once tells whether the database is.
        if (running) {
          log.info("the license store's change listener was cut ({}); connecting again", rootMessage(e));
        }
        closeListener();
        continue;
      }
      if (running) {
        poll(c);
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

  /** Catches up through {@code connection}, or through the pool when it is null. */
  private void poll(Connection connection) {
    try {
      int applied = connection == null ? writer.catchUp() : writer.catchUp(database.over(connection));
      lastContact = clock.instant();
      database.reachability().answered();
      if (!reported) {
        reported = true;
        log.info("the license store's database is reachable again; caught up to event {} ({} applied)",
            writer.cursor(), applied);
      }
    } catch (StoreUnavailableException e) {
      failed(e);
      if (connection != null) {
        closeListener();
      }
    } catch (RuntimeException e) {
      log.warn("catching up with other replicas' writes failed; trying again at the next poll", e);
    }
  }

  private void failed(Exception e) {
    database.reachability().failed(clock.instant());
    if (reported) {
      reported = false;
      log.warn("the license store's database is unreachable ({}); serving pulls from the snapshot of event {}"
          + " and refusing writes until it answers", rootMessage(e), writer.cursor());
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
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
