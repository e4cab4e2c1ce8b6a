package io.turnstile.store.testing;

import java.sql.SQLException;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One {@link TestPostgres} for a test class, launched before its first test and closed after its
 * last: register it as a static field with {@code @RegisterExtension}, and give each test a
 * database of its own with {@link #newDatabase}.
 */
public final class PostgresServer implements BeforeAllCallback, AfterAllCallback {
  private TestPostgres postgres;

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    postgres = TestPostgres.launch();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (postgres != null) {
      postgres.close();
      postgres = null;
    }
  }

  /** See {@link TestPostgres#newDatabase}. */
  public String newDatabase() throws SQLException {
    return postgres.newDatabase();
  }

  /** Starts the server again after {@link #stop}: the end of an outage. */
  public void start() throws Exception {
    postgres.start();
  }

  /** Stops the server, its data kept: an outage. */
  public void stop() throws Exception {
    postgres.stop();
  }

  /** See {@link TestPostgres#port}. */
  public int port() {
    return postgres.port();
  }

  /** See {@link TestPostgres#url}. */
  public String url(String database) {
    return postgres.url(database);
  }
}
