package io.turnstile.proxy.token;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.turnstile.config.ApplicationConfig;
import io.turnstile.config.LoginThrottleConfig;
import io.turnstile.config.RepositoryConfig;
import io.turnstile.config.StoreConfig;
import io.turnstile.proxy.oci.RegistryException;
import io.turnstile.store.Access;
import io.turnstile.store.Catalog;
import io.turnstile.store.CustomerId;
import io.turnstile.store.IssuedKey;
import io.turnstile.store.LicenseStore;
import io.turnstile.store.NewLicense;
import io.turnstile.store.Refusal;
import io.turnstile.store.StoreFactory;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class LoginGuardTest {
  @TempDir
  Path dir;
  private LicenseStore store;
  private IssuedKey key;
  private InetAddress client;

  @BeforeEach
  void setUp() throws Exception {
    Catalog catalog = new Catalog(List.of(new ApplicationConfig("app",
        List.of(new RepositoryConfig("vendor/app", "up", null, null)))));
    store = StoreFactory.open(new StoreConfig("jdbc:sqlite:" + dir.resolve("t.db"), null, null, null, dir.resolve("k"), 1),
        catalog, Clock.systemUTC());
    CustomerId c = store.createCustomer("Acme", "t").id();
    key = store.createLicense(new NewLicense("l", c, "app", null, List.of("1.0.0"), null), "t");
    client = InetAddress.getByName("192.0.2.7");
  }

  @AfterEach
  void tearDown() {
    store.close();
  }

  private static final String LONG = "a".repeat(60_000);

  @Test
  void longUsernames_areRefusedBeforeAnythingIsStored_andTheHeapStaysFlat() throws Exception {
    LoginGuard guard = new LoginGuard(store, LoginThrottleConfig.defaults());
    Logger logger = (Logger) LoggerFactory.getLogger(LoginGuard.class);
    Level level = logger.getLevel();
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    System.gc();
    long before = memory.getHeapMemoryUsage().getUsed();
    // 100,000 attempts with a 60,000-character username, each from an address of its own: each used
    // to leave a copy of the username in the throttle's tables (6 GB in all).
    logger.setLevel(Level.ERROR);
    try {
      for (int i = 0; i < 100_000; i++) {
        InetAddress from = InetAddress.getByAddress(new byte[] {10, (byte) (i >> 16), (byte) (i >> 8), (byte) i});
        assertThat(guard.authenticate(LONG, "tsk_x", from)).isInstanceOf(Refusal.class);
      }
    } finally {
      logger.setLevel(level);
    }
    assertThat(guard.tracked()).as("entries the throttle keeps").isZero();
    System.gc();
    long grown = memory.getHeapMemoryUsage().getUsed() - before;
    assertThat(grown).as("heap grown by %d bytes", grown).isLessThan(32L << 20);
    assertThat(guard.authenticate(key.username(), key.key(), client)).isInstanceOf(Access.class);
  }

  @Test
  void aThrottledAttempt_storesNothingNew() throws Exception {
    LoginGuard guard = new LoginGuard(store, new LoginThrottleConfig(3, 2, Duration.ofMinutes(1)));
    guard.authenticate("lic_nobody", "tsk_wrong", client);
    guard.authenticate("lic_nobody", "tsk_wrong", client);
    guard.authenticate("lic_other", "tsk_wrong", client);
    long tracked = guard.tracked();
    assertThat(tracked).isEqualTo(3);
    for (int i = 0; i < 1_000; i++) {
      String name = "lic_guess" + i;
      assertThatThrownBy(() -> guard.authenticate(name, "tsk_wrong", client)).isInstanceOf(RegistryException.class);
    }
    assertThat(guard.tracked()).isEqualTo(tracked);
  }

  @Test
  void aSuccessfulLogin_storesNothing() throws Exception {
    LoginGuard guard = new LoginGuard(store, LoginThrottleConfig.defaults());
    for (int i = 0; i < 100; i++) {
      assertThat(guard.authenticate(key.username(), key.key(), client)).isInstanceOf(Access.class);
    }
    assertThat(guard.tracked()).isZero();
  }

  @Test
  void aKeyTypedAsTheUsername_isMaskedInTheLog() throws Exception {
    Logger logger = (Logger) LoggerFactory.getLogger(LoginGuard.class);
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    logger.addAppender(lines);
    try {
      // curl -u "$KEY:$LICENSE_ID": the key and the id swapped.
      new LoginGuard(store, LoginThrottleConfig.defaults()).authenticate(key.key(), key.username(), client);
    } finally {
      logger.detachAppender(lines);
    }
    assertThat(lines.list).hasSize(1);
    String line = lines.list.get(0).getFormattedMessage();
    assertThat(line).contains("username=\"tsk_***\"").doesNotContain(key.key().substring(4, 12));
  }

  @Test
  void printable_masksAKeyAnywhereInTheUsername_andCutsLongNames() {
    assertThat(LoginGuard.printable("lic_0123")).isEqualTo("\"lic_0123\"");
    assertThat(LoginGuard.printable(" tsk_AbCdEf")).isEqualTo("\" tsk_***\"");
    assertThat(LoginGuard.printable("tsa_AbCdEf")).as("an API token").isEqualTo("\"tsa_***\"");
    assertThat(LoginGuard.printable("a".repeat(100))).isEqualTo("\"" + "a".repeat(64) + "...\"");
    assertThat(LoginGuard.printable("x\ny")).isEqualTo("\"x?y\"");
  }
}
