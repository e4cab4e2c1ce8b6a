package io.turnstile.proxy.oci;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;

/**
 * Kubernetes image pull secrets ({@code kubernetes.io/dockerconfigjson}) for the proxy's public
 * host, as {@code kubectl apply -f -} takes them: the admin API's and the customer portal's.
 */
public final class PullSecrets {
  private PullSecrets() {}

  /**
   * The registry host key kubelet matches image references against: host[:port] of the URL, the
   * host in lower case and the scheme's default port (443, 80) dropped, because kubelet compares
   * host and port literally and image references name neither in upper case nor with the default
   * port. An IPv6 host keeps its brackets.
   */
  public static String registryHost(URI publicUrl) {
    String host = publicUrl.getHost().toLowerCase(Locale.ROOT);
    int port = publicUrl.getPort();
    int defaultPort = "http".equalsIgnoreCase(publicUrl.getScheme()) ? 80 : 443;
    return port < 0 || port == defaultPort ? host : host + ":" + port;
  }

  public static ObjectNode secret(ObjectMapper mapper, URI publicUrl, String name, String namespace,
      String username, String key) {
    String host = registryHost(publicUrl);
    ObjectNode entry = mapper.createObjectNode()
        .put("username", username)
        .put("password", key)
        .put("auth", Base64.getEncoder().encodeToString((username + ":" + key).getBytes(StandardCharsets.UTF_8)));
    ObjectNode auths = mapper.createObjectNode();
    auths.putObject("auths").set(host, entry);
    String dockerConfig;
    try {
      dockerConfig = mapper.writeValueAsString(auths);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    ObjectNode secret = mapper.createObjectNode()
        .put("apiVersion", "v1")
        .put("kind", "Secret")
        .put("type", "kubernetes.io/dockerconfigjson");
    ObjectNode metadata = secret.putObject("metadata").put("name", name);
    if (namespace != null) {
      metadata.put("namespace", namespace);
    }
    metadata.putObject("labels").put("app.kubernetes.io/managed-by", "turnstile");
    secret.putObject("data").put(".dockerconfigjson",
        Base64.getEncoder().encodeToString(dockerConfig.getBytes(StandardCharsets.UTF_8)));
    return secret;
  }
}
