package io.turnstile.proxy.oci;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class PullSecretsTest {
  private static String host(String publicUrl) {
    return PullSecrets.registryHost(URI.create(publicUrl));
  }

  @Test
  void registryHost_isLowercaseWithoutTheSchemesDefaultPort_likeKubeletMatchesImages() {
    assertThat(host("https://Registry.Vendor.example:443")).isEqualTo("registry.vendor.example");
    assertThat(host("HTTPS://Registry.Vendor.example:443/")).isEqualTo("registry.vendor.example");
    assertThat(host("http://Registry.Vendor.example:80")).isEqualTo("registry.vendor.example");
    assertThat(host("https://registry.vendor.example")).isEqualTo("registry.vendor.example");
  }

  @Test
  void registryHost_keepsOtherPorts_andIpv6Brackets() {
    assertThat(host("https://Registry.Vendor.example:5443")).isEqualTo("registry.vendor.example:5443");
    assertThat(host("http://registry.vendor.example:443")).isEqualTo("registry.vendor.example:443");
    assertThat(host("https://registry.vendor.example:80")).isEqualTo("registry.vendor.example:80");
    assertThat(host("https://[2001:DB8::1]:443")).isEqualTo("[2001:db8::1]");
    assertThat(host("https://[2001:db8::1]:5443")).isEqualTo("[2001:db8::1]:5443");
    assertThat(host("http://[::1]")).isEqualTo("[::1]");
  }

  @Test
  void secret_isKeyedByTheNormalisedHost() throws Exception {
    ObjectMapper json = new ObjectMapper();
    JsonNode secret = PullSecrets.secret(json, URI.create("https://Registry.Vendor.example:443"), "regcred", null,
        "lic_1", "tsk_1");
    JsonNode config = json.readTree(Base64.getDecoder().decode(secret.get("data").get(".dockerconfigjson").asText()));
    assertThat(config.get("auths").fieldNames()).toIterable().containsExactly("registry.vendor.example");
  }
}
