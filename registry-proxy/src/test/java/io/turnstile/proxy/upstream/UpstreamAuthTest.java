package io.turnstile.proxy.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.turnstile.config.UpstreamConfig;
import io.turnstile.store.UpstreamCredentials;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class UpstreamAuthTest {
  private static final UpstreamConfig UPSTREAM = new UpstreamConfig("vendor", URI.create("https://registry.example"),
      null, null, null, null, null, null, null, null, null, null);
  private static final String CHALLENGE = "Bearer realm=\"https://auth.example/token\",service=\"registry\"";

  /** Realm calls made, and a realm that gives a token to the password "right" only. */
  private final List<String> asked = new ArrayList<>();
  private final UpstreamAuth auth = new UpstreamAuth(new ObjectMapper(), Clock.systemUTC(),
      (loop, upstream, realm, authorization, maxBytes) -> {
        asked.add(realm + " " + authorization);
        boolean right = UpstreamAuth.basic(new UpstreamCredentials("bot", "right")).equals(authorization);
        return CompletableFuture.completedFuture(new UpstreamResponse(right ? 200 : 401, new DefaultHttpHeaders(),
            (right ? "{\"token\":\"t-right\",\"expires_in\":300}" : "{}").getBytes(StandardCharsets.UTF_8)));
      });

  @Test
  void aTokenIsAskedForOncePerPassword_andServesOnlyThatPassword() {
    UpstreamCredentials right = new UpstreamCredentials("bot", "right");
    UpstreamCredentials wrong = new UpstreamCredentials("bot", "wrong");
    assertThat(auth.afterChallenge(null, UPSTREAM, right, "org/app", CHALLENGE, null).join()).isEqualTo("Bearer t-right");
    assertThat(auth.authorization(null, UPSTREAM, right, "org/app").join()).isEqualTo("Bearer t-right");

    assertThat(auth.authorization(null, UPSTREAM, wrong, "org/app").join())
        .as("nothing learned for this password yet: Basic, and the upstream will challenge it")
        .isEqualTo(UpstreamAuth.basic(wrong));
    assertThatThrownBy(() -> auth.afterChallenge(null, UPSTREAM, wrong, "org/app", CHALLENGE, null).join())
        .isInstanceOf(CompletionException.class)
        .hasMessageContaining("the upstream's token service rejected the credentials (401)");
    assertThat(asked).containsExactly(
        "https://auth.example/token?service=registry&scope=repository%3Aorg%2Fapp%3Apull " + UpstreamAuth.basic(right),
        "https://auth.example/token?service=registry&scope=repository%3Aorg%2Fapp%3Apull " + UpstreamAuth.basic(wrong));
  }

  @Test
  void aRealmThatIsNoHttpUrl_isRefusedWithoutACall() {
    assertThatThrownBy(() -> auth.afterChallenge(null, UPSTREAM, null, "org/app", "Bearer realm=\"file:///etc/x\"", null).join())
        .hasMessageContaining("the upstream's token realm is not a valid URL");
    assertThat(asked).isEmpty();
  }
}
