package io.turnstile.proxy.portal;

import io.turnstile.config.ApplicationConfig;
import io.turnstile.config.RepositoryConfig;
import io.turnstile.store.License;
import io.turnstile.store.LicenseState;
import io.turnstile.store.Snapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What the portal shows a signed-in customer, read from the snapshot alone: each license with its
 * state, expiry and copy-ready commands per granted version.
 */
public final class PortalView {
  /** How close an expiry must be for the warning. */
  static final Duration EXPIRING = Duration.ofDays(30);

  /** One repository's command for one version. */
  public record Pull(String repository, String command) {}

  /** The commands of one granted version. */
  public record Version(String version, List<Pull> docker, List<Pull> helm, String image) {}

  /** One license as its holder sees it; {@code expiresAt} is a UTC day, or null for never. */
  public record Card(String id, String name, String application, String state, String expiresAt,
      boolean expiringSoon, List<Version> versions, String deployment) {
    public boolean active() {
      return state.equals("active");
    }
  }

  /**
   * @param host the registry host of image references ({@code host[:port]})
   * @param secretName the name of the pull secret the portal hands out
   */
  public record Model(String username, String host, String dockerLogin, String helmLogin, String secretName,
      List<Card> cards) {}

  private final String host;

  PortalView(String host) {
    this.host = host;
  }

  /** The view of {@code user} in {@code snapshot} at {@code now}. */
  Model of(PortalUser user, Snapshot snapshot, Instant now) {
    List<License> licenses;
    if (user.licenseId() != null) {
      License l = snapshot.license(user.licenseId());
      licenses = l == null ? List.of() : List.of(l);
    } else {
      licenses = snapshot.licensesOf(user.customerId());
    }
    String secret = secretName(user.username());
    List<Card> cards = new ArrayList<>();
    for (License l : licenses) {
      ApplicationConfig app = snapshot.catalog().application(l.application()).orElse(null);
      cards.add(card(l, app, now, secret));
    }
    return new Model(user.username(), host, "docker login " + host + " -u " + user.username(),
        "helm registry login " + host + " -u " + user.username(), secret, List.copyOf(cards));
  }

  private Card card(License l, ApplicationConfig app, Instant now, String secret) {
    LicenseState state = l.state(now);
    boolean soon = state == LicenseState.ACTIVE && l.expiresAt() != null
        && l.expiresAt().isBefore(now.plus(EXPIRING));
    List<Version> versions = new ArrayList<>();
    String firstImage = null;
    for (String v : l.versions()) {
      List<Pull> docker = new ArrayList<>();
      List<Pull> helm = new ArrayList<>();
      String image = null;
      if (app != null) {
        for (RepositoryConfig r : app.repositories()) {
          Set<String> tags = r.tagsFor(v);
          String tag = tags.isEmpty() ? v : tags.iterator().next();
          if (isChart(r)) {
            helm.add(new Pull(r.name(), "helm pull oci://" + host + "/" + r.name() + " --version " + v));
          } else {
            String ref = host + "/" + r.name() + ":" + tag;
            docker.add(new Pull(r.name(), "docker pull " + ref));
            if (image == null) {
              image = ref;
            }
          }
        }
      }
      if (firstImage == null) {
        firstImage = image;
      }
      versions.add(new Version(v, List.copyOf(docker), List.copyOf(helm), image));
    }
    return new Card(l.id().value(), l.name() == null ? "" : l.name(), l.application(), state.wireName(),
        l.expiresAt() == null ? null : l.expiresAt().toString().substring(0, 10), soon, List.copyOf(versions),
        deployment(l.application(), firstImage, secret));
  }

  /**
   * Whether a repository holds Helm charts: the configuration does not say, so its name does (a
   * path segment that mentions "chart", as {@code charts/app}).
   */
  static boolean isChart(RepositoryConfig r) {
    return r.name().toLowerCase(Locale.ROOT).contains("chart");
  }

  static String secretName(String username) {
    return "turnstile-" + username.toLowerCase(Locale.ROOT).replace('_', '-');
  }

  private static String deployment(String application, String image, String secret) {
    if (image == null) {
      return null;
    }
    String name = application.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-");
    return """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: %1$s
        spec:
          selector:
            matchLabels:
              app: %1$s
          template:
            metadata:
              labels:
                app: %1$s
            spec:
              imagePullSecrets:
                - name: %2$s
              containers:
                - name: %1$s
                  image: %3$s
        """.formatted(name, secret, image);
  }
}
