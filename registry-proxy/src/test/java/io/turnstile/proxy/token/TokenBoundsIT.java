package io.turnstile.proxy.token;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.turnstile.config.ApplicationConfig;
import io.turnstile.config.LoginThrottleConfig;
import io.turnstile.config.RepositoryConfig;
import io.turnstile.config.StoreConfig;
import io.turnstile.config.TokenConfig;
import io.turnstile.proxy.oci.RegistryException;
import io.turnstile.store.Catalog;
import io.turnstile.store.CustomerId;
import io.turnstile.store.IssuedKey;
import io.turnstile.store.LicenseStore;
import io.turnstile.store.NewLicense;
import io.turnstile.store.StoreFactory;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What one license holder can make Turnstile keep in memory through the token endpoint. */
class TokenBoundsIT {
  @TempDir Path dir;
  private LicenseStore store;
  private TokenEndpoint endpoint;
  private TokenService tokens;
  private String basic;

  @BeforeEach
  void setUp() throws Exception {
    Catalog catalog = new Catalog(List.of(new ApplicationConfig("app", List.of(
        new RepositoryConfig("vendor/app", "up", null, null), new RepositoryConfig("charts/app", "up", null, null)))));
    store = StoreFactory.open(new StoreConfig("jdbc:sqlite:" + dir.resolve("t.db"), null, null, null, dir.resolve("k"), 1),
        catalog, Clock.systemUTC());
    CustomerId c = store.createCustomer("Acme", "t").id();
    IssuedKey key = store.createLicense(new NewLicense("l", c, "app", null, List.of("1.0.0"), null), "t");
    tokens = new TokenService(SigningKeys.load(List.of(dir.resolve("key.pem")), "ES256"), TokenConfig.defaults(),
        Clock.systemUTC());
    endpoint = new TokenEndpoint(store, new LoginGuard(store, LoginThrottleConfig.defaults()),
        tokens, new ObjectMapper(), Clock.systemUTC());
    basic = "Basic " + Base64.getEncoder().encodeToString(
        (key.username() + ":" + key.key()).getBytes(StandardCharsets.UTF_8));
  }

  @AfterEach
  void tearDown() {
    store.close();
  }

  private String token(String... scopes) {
    try {
      return endpoint.handle(new TokenEndpoint.Request("GET",
          Map.of("service", List.of("turnstile"), "scope", List.of(scopes)), Map.of(), basic, null)).body().get("token").asText();
    } catch (RegistryException e) {
      throw new AssertionError("token refused: " + e.getMessage(), e);
    }
  }

  @Test
  void scopesAreNormalisedBeforeTheyKeyAnything() {
    String plain = token("repository:vendor/app:pull");
    assertThat(token("repository(c1):vendor/app:pull")).isEqualTo(plain);
    assertThat(token("repository(plugin):vendor/app:pull,push", "repository:vendor/app:pull")).isEqualTo(plain);
    String both = token("repository:vendor/app:pull repository:charts/app:pull");
    assertThat(token("repository:charts/app:pull", "repository(x):vendor/app:pull")).isEqualTo(both);
  }

  @Test
  void theGrantedScopeIsWrittenWithoutTheResourceClass() throws Exception {
    assertThat(endpoint.handle(new TokenEndpoint.Request("GET", Map.of("scope", List.of("repository(c9):vendor/app:pull")),
        Map.of(), basic, null)).body().get("scope").asText()).isEqualTo("repository:vendor/app:pull");
  }

  @Test
  void distinctLookingTokenRequestsFromOneLicenseLeaveTheHeapBounded() throws Exception {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    token("repository:vendor/app:pull");
    long idle = liveHeap(memory);
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 200_000; i++) {
      String t = token("repository(c" + i + "):vendor/app:pull", i % 2 == 0 ? "" : "repository:charts/app:pull");
      if (seen.size() < 100) {
        seen.add(t);
      }
      tokens.verifyAccess(t);
    }
    long grown = liveHeap(memory) - idle;
    assertThat(grown).as("live heap growth in bytes").isLessThan(64L << 20);
    assertThat(seen).as("one token per grant, reused").hasSizeLessThanOrEqualTo(2);
  }

  private static long liveHeap(MemoryMXBean memory) throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(50);
    }
    return memory.getHeapMemoryUsage().getUsed();
  }
}
