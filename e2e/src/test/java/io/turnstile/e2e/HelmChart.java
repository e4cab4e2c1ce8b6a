package io.turnstile.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.turnstile.testkit.Proc;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.StreamSupport;

/**
 * Turnstile's Helm chart ({@code deploy/helm/turnstile}) run through the real {@code helm} binary,
 * which e2e/run.sh puts on the PATH. There is no cluster here: what the chart renders is parsed
 * and read like a cluster would read it.
 */
final class HelmChart {
  static final Path DIR = Path.of(System.getProperty("turnstile.chart", "../deploy/helm/turnstile"));
  static final String RELEASE = "ts";
  static final String NAMESPACE = "registry";
  private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?}");
  private static final YAMLMapper YAML = new YAMLMapper();

  private HelmChart() {}

  static Proc.Result helm(List<String> args) {
    List<String> command = new ArrayList<>(List.of(Proc.require("helm")));
    command.addAll(args);
    return Proc.run(command, Map.of(), null, Duration.ofMinutes(1));
  }

  /** {@code helm lint --strict} with {@code values} (YAML, may be empty). */
  static Proc.Result lint(String values) {
    return helm(List.of("lint", "--strict", DIR.toString(), "-f", valuesFile(values).toString()));
  }

  /** {@code helm template} with {@code values} (YAML, may be empty) and more flags. */
  static Proc.Result template(String values, String... flags) {
    List<String> args = new ArrayList<>(List.of("template", RELEASE, DIR.toString(), "--namespace", NAMESPACE,
        "-f", valuesFile(values).toString()));
    args.addAll(List.of(flags));
    return helm(args);
  }

  /** What {@link #template} renders; fails when Helm refuses. */
  static Rendered render(String values, String... flags) {
    Proc.Result r = template(values, flags);
    assertThat(r.exit()).as(r.err()).isZero();
    return Rendered.parse(r.out());
  }

  private static Path valuesFile(String values) {
    try {
      Path file = Files.createTempFile("turnstile-chart-values", ".yaml");
      file.toFile().deleteOnExit();
      return Files.writeString(file, values);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** The ${VAR} names a text refers to, in order. */
  static Set<String> variables(String text) {
    Set<String> names = new LinkedHashSet<>();
    Matcher m = VARIABLE.matcher(text);
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

  /** The manifests one rendering produced. */
  record Rendered(List<JsonNode> manifests) {
    static Rendered parse(String yaml) {
      try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(yaml)) {
        List<JsonNode> manifests = new ArrayList<>();
        while (docs.hasNext()) {
          JsonNode doc = docs.next();
          if (doc != null && doc.isObject() && doc.has("kind")) {
            manifests.add(doc);
          }
        }
        return new Rendered(manifests);
      } catch (IOException e) {
        throw new AssertionError("helm rendered YAML that does not parse: " + e.getMessage(), e);
      }
    }

    List<JsonNode> all(String kind) {
      return manifests.stream().filter(m -> m.path("kind").asText().equals(kind)).toList();
    }

    /** The one manifest of {@code kind}; fails when there is none or several. */
    JsonNode one(String kind) {
      List<JsonNode> found = all(kind);
      assertThat(found).as("manifests of kind " + kind).hasSize(1);
      return found.get(0);
    }

    JsonNode named(String kind, String name) {
      return all(kind).stream().filter(m -> m.path("metadata").path("name").asText().equals(name)).findFirst()
          .orElseThrow(() -> new AssertionError("no " + kind + " named " + name));
    }

    JsonNode podSpec() {
      return one("Deployment").path("spec").path("template").path("spec");
    }

    JsonNode container() {
      JsonNode containers = podSpec().path("containers");
      assertThat(containers.size()).isEqualTo(1);
      return containers.get(0);
    }

    /** Turnstile's configuration file, as the ConfigMap holds it. */
    String configFile() {
      return one("ConfigMap").path("data").path("turnstile.yaml").asText();
    }

    JsonNode config() {
      try {
        return YAML.readTree(configFile());
      } catch (IOException e) {
        throw new AssertionError(e);
      }
    }

    /** The chart's Secret, decoded. */
    Map<String, String> secretData() {
      Map<String, String> data = new LinkedHashMap<>();
      one("Secret").path("data").fields().forEachRemaining(e -> data.put(e.getKey(),
          new String(Base64.getDecoder().decode(e.getValue().asText()), StandardCharsets.UTF_8)));
      return data;
    }

    /**
     * The container's environment as the kubelet would build it: literal values, and each
     * secretKeyRef looked up in {@code secret}, which must be the Secret it names.
     */
    Map<String, String> environment(String secretName, Map<String, String> secret) {
      Map<String, String> env = new LinkedHashMap<>();
      for (JsonNode e : container().path("env")) {
        String name = e.path("name").asText();
        if (e.has("value")) {
          env.put(name, e.path("value").asText());
        } else {
          JsonNode ref = e.path("valueFrom").path("secretKeyRef");
          assertThat(ref.path("name").asText()).as(name).isEqualTo(secretName);
          String key = ref.path("key").asText();
          assertThat(secret).as("the Secret's keys, for " + name).containsKey(key);
          env.put(name, secret.get(key));
        }
      }
      return env;
    }

    /** Where a volume is mounted in the container. */
    String mountPath(String volume) {
      return StreamSupport.stream(container().path("volumeMounts").spliterator(), false)
          .filter(m -> m.path("name").asText().equals(volume)).map(m -> m.path("mountPath").asText()).findFirst()
          .orElseThrow(() -> new AssertionError("volume " + volume + " is not mounted"));
    }

    JsonNode volume(String name) {
      return StreamSupport.stream(podSpec().path("volumes").spliterator(), false)
          .filter(v -> v.path("name").asText().equals(name)).findFirst()
          .orElseThrow(() -> new AssertionError("no volume " + name));
    }

    /** Whether {@code labels} carries every entry of {@code selector}. */
    static boolean selects(JsonNode selector, JsonNode labels) {
      for (var it = selector.fields(); it.hasNext(); ) {
        var e = it.next();
        if (!labels.path(e.getKey()).asText().equals(e.getValue().asText())) {
          return false;
        }
      }
      return selector.size() > 0;
    }
  }
}
