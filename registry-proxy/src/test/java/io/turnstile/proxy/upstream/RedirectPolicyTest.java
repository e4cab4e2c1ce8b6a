package io.turnstile.proxy.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.turnstile.proxy.oci.RegistryException;
import java.net.URI;
import org.junit.jupiter.api.Test;

class RedirectPolicyTest {
  private static final URI BLOB = URI.create("https://registry.example/v2/org/app/blobs/sha256:abc");
  private static final Origin REGISTRY = Origin.of(URI.create("https://registry.example"));

  private static RedirectPolicy policy(RedirectPolicy.Mode mode) {
    return new RedirectPolicy(mode, REGISTRY, "the upstream registry");
  }

  @Test
  void answersThatAreNotRedirectsToActOn_areHandedOn() throws Exception {
    assertThat(policy(RedirectPolicy.Mode.ALL).decide(200, "https://elsewhere.example/x", BLOB)).isNull();
    assertThat(policy(RedirectPolicy.Mode.ALL).decide(302, null, BLOB)).isNull();
    assertThat(policy(RedirectPolicy.Mode.NONE).decide(307, "https://elsewhere.example/x", BLOB)).isNull();
  }

  @Test
  void sameOrigin_followsRedirectsHome_andHandsOnTheRestMadeAbsolute() throws Exception {
    RedirectPolicy p = policy(RedirectPolicy.Mode.SAME_ORIGIN);
    assertThat(p.decide(307, "/internal/blob", BLOB))
        .isEqualTo(new RedirectPolicy.Redirect(URI.create("https://registry.example/internal/blob"), true));
    assertThat(p.decide(307, "https://REGISTRY.example:443/other", BLOB).follow()).isTrue();
    assertThat(p.decide(307, "https://registry.example:8443/other", BLOB))
        .isEqualTo(new RedirectPolicy.Redirect(URI.create("https://registry.example:8443/other"), false));
  }

  @Test
  void all_followsAtMostFiveRedirects() throws Exception {
    RedirectPolicy p = policy(RedirectPolicy.Mode.ALL);
    for (int i = 0; i < RedirectPolicy.MAX_REDIRECTS; i++) {
      assertThat(p.decide(302, "https://storage.example/" + i, BLOB).follow()).isTrue();
    }
    assertThatThrownBy(() -> p.decide(302, "https://storage.example/6", BLOB))
        .isInstanceOf(RegistryException.class).hasMessage("too many redirects from the upstream registry");
  }

  @Test
  void aRedirectFromHttpsToPlainHttp_isRefused() {
    assertThatThrownBy(() -> policy(RedirectPolicy.Mode.ALL).decide(302, "http://storage.example/x", BLOB))
        .isInstanceOf(RegistryException.class).hasMessage("the upstream registry redirected from HTTPS to plain HTTP");
  }

  @Test
  void aLocationThatIsNoHttpUrl_isAnInvalidRedirect() {
    for (String location : new String[] {"file:///etc/passwd", "ftp://storage.example/x", "http://[bad"}) {
      assertThatThrownBy(() -> policy(RedirectPolicy.Mode.ALL).decide(302, location, BLOB))
          .as(location).isInstanceOf(RegistryException.class).hasMessage("the upstream registry sent an invalid redirect");
    }
  }
}
