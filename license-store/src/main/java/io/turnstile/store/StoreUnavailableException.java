package io.turnstile.store;

import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;

/**
 * The database cannot be reached: nothing was written. Pulls go on from the last snapshot; the
 * admin API answers 503 until the database is back.
 */
public final class StoreUnavailableException extends StoreException {
  public StoreUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }

  /**
   * {@code e} as a read's caller should see it: this exception when {@code e} is one, or comes from
   * a lost or refused database connection; else null. Writes say so themselves; a read that goes
   * to the database (a list, a log) fails with the driver's error, which this tells apart.
   */
  public static StoreUnavailableException of(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof StoreUnavailableException u) {
        return u;
      }
      if (t instanceof SQLException sql && lostConnection(sql)) {
        return new StoreUnavailableException("the license store's database is unreachable; try again once it is back",
            e);
      }
    }
    return null;
  }

  /** Whether {@code e} says the connection is gone: SQLState class 08, or 57P (the server is stopping). */
  public static boolean lostConnection(SQLException e) {
    String state = e.getSQLState();
    return e instanceof SQLTransientConnectionException || e instanceof SQLNonTransientConnectionException
        || (state != null && (state.startsWith("08") || state.startsWith("57P")));
  }
}
