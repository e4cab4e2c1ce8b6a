package io.turnstile.proxy.portal;

import io.turnstile.config.ApplicationConfig;
import io.turnstile.config.EntitlementField;
import io.turnstile.store.EntitlementFields;
import io.turnstile.config.RepositoryConfig;
import io.turnstile.proxy.web.GrantView;
import io.turnstile.store.Grant;
import io.turnstile.store.License;
import io.turnstile.store.LicenseState;
import io.turnstile.store.Snapshot;
import io.turnstile.store.TagVersions;
import io.turnstile.store.VersionOrder;
import io.turnstile.store.VersionRange;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.semver4j.Semver;

/**
 * What the portal shows a signed-in customer, read from the snapshot: each license with its state,
 * expiry, grants and copy-ready commands per granted version. For a range (or every version), the
 * versions it grants at the upstream right now, decided by the same {@link Grant} a pull is, from
 * the upstream's tag list as last listed ({@link UpstreamTagList}); until it is listed, the range
 * and a command template.
 */
public final class PortalView {
  /** How close an expiry must be for the warning. */
  static final Duration EXPIRING = Duration.ofDays(30);

  /** One repository's command for one version. */
  public record Pull(String repository, String command) {}

  /**
   * The commands of one granted version; {@code notReleased} names the repositories whose tag list,
   * as last listed at the upstream, has no tag for it (no command is offered there).
   */
  public record Version(String version, List<Pull> docker, List<Pull> helm, String image, List<String> notReleased) {}

  /** Most versions shown under one range, the newest. */
  static final int MAX_COVERED = 25;

  /**
   * A range (or every version) and the versions it grants at the upstream now, newest first, at
   * most {@link #MAX_COVERED} ({@code more} beyond); {@code listed} false while the upstream's tags
   * are not known yet, then {@code templates} show how to pull any version; {@code error} when they
   * could not be listed.
   */
  public record RangeView(GrantView grant, List<Version> covered, int more, boolean listed, String error,
      List<String> templates) {}

  /** One license as its holder sees it; {@code expiresAt} is a UTC day, or null for never. */
  /** One entitlement a customer sees: a field the vendor made visible, and its value as text. */
  public record Entitlement(String name, String value) {}

  /**
   * One license as its holder sees it; {@code expiresAt} is a UTC day, or null for never. {@code
   * entitlements} are the visible ones; {@code fileVersion} changes with every edit of the license,
   * so that the license file link (and the page) changes when a new file is to be had.
   */
  public record Card(String id, String name, String application, String state, String expiresAt,
      boolean expiringSoon, List<GrantView> grants, List<Version> versions, List<RangeView> ranges,
      boolean keptAfterExpiry, String deployment, List<Entitlement> entitlements, String updatedAt, String fileVersion) {
    /** Whether a license file can be downloaded: every license but a revoked one. */
    public boolean hasFile() {
      return !state.equals("revoked");
    }

    public boolean active() {
      return state.equals("active");
    }

    /** Whether pulls with it are served: active, or expired and keeping what was released before. */
    public boolean pullable() {
      return active() || keptAfterExpiry;
    }

    /**
     * Every grant in one line, ranges and every version with their kind ({@code 1.0.0, 2.x (range)});
     * "none" when there is none.
     */
    public String grantsText() {
      return grants.isEmpty() ? "none"
          : String.join(", ", grants.stream().map(g -> g.kind().equals("exact") ? g.value() : g.label()).toList());
    }
  }

  /**
   * @param host the registry host of image references ({@code host[:port]})
   * @param secretName the name of the pull secret the portal hands out
   */
  public record Model(String username, String host, String dockerLogin, String helmLogin, String secretName,
      boolean plainHttp, List<Card> cards) {}

  private final String host;
  private final boolean plainHttp;
  private final UpstreamTagList tags;

  /**
   * @param plainHttp whether customers reach the registry over plain HTTP ({@code server.publicUrl}
   *     is {@code http://}): Helm then needs {@code --plain-http} (Helm 4; Helm 3 logs in with
   *     {@code --insecure}), and the commands say so
   * @param tags the upstream's tag lists, for what ranges grant; null to show ranges only
   */
  PortalView(String host, boolean plainHttp, UpstreamTagList tags) {
    this.host = host;
    this.plainHttp = plainHttp;
    this.tags = tags;
  }

  /** {@code helm pull} of {@code version} (or a placeholder) from {@code repository}. */
  private String helmPull(String repository, String version) {
    return "helm pull oci://" + host + "/" + repository + " --version " + version + (plainHttp ? " --plain-http" : "");
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
      cards.add(card(l, app, snapshot, now, secret));
    }
    return new Model(user.username(), host, "docker login " + host + " -u " + user.username(),
        "helm registry login " + host + " -u " + user.username() + (plainHttp ? " --plain-http" : ""), secret,
        plainHttp, List.copyOf(cards));
  }

  private Card card(License l, ApplicationConfig app, Snapshot snapshot, Instant now, String secret) {
    LicenseState state = l.state(now);
    boolean soon = state == LicenseState.ACTIVE && l.expiresAt() != null
        && l.expiresAt().isBefore(now.plus(EXPIRING));
    List<Version> versions = new ArrayList<>();
    String firstImage = null;
    boolean kept = state == LicenseState.EXPIRED && l.grantsAnythingAt(now);
    for (String v : l.versions()) {
      List<Pull> docker = new ArrayList<>();
      List<Pull> helm = new ArrayList<>();
      String image = null;
      List<String> notReleased = new ArrayList<>();
      if (app != null) {
        for (RepositoryConfig r : app.repositories()) {
          Set<String> tags = r.tagsFor(v);
          String tag = tags.isEmpty() ? v : tags.iterator().next();
          if (!released(r, l, tags)) {
            notReleased.add(r.name());
            continue;
          }
          if (kept) {
            // Expired, keeping what was released before: only the tags seen before the expiry.
            Grant g = snapshot.grantOf(l, r.name(), now);
            if (g == null || !g.grantedTags().containsKey(tag)) {
              continue;
            }
          }
          if (isChart(r)) {
            helm.add(new Pull(r.name(), helmPull(r.name(), v)));
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
      if (kept && docker.isEmpty() && helm.isEmpty()) {
        continue;
      }
      versions.add(new Version(v, List.copyOf(docker), List.copyOf(helm), image, List.copyOf(notReleased)));
    }
    List<GrantView> grants = new ArrayList<>();
    l.versions().forEach(v -> grants.add(new GrantView("exact", v, false)));
    List<RangeView> ranges = new ArrayList<>();
    for (VersionRange range : l.ranges()) {
      GrantView line = new GrantView(range.kind().wireName(), range.expression(), range.includePrerelease());
      grants.add(line);
      RangeView view = range(l, range, line, app, snapshot, now);
      ranges.add(view);
      if (firstImage == null && !view.covered().isEmpty()) {
        firstImage = view.covered().get(0).image();
      }
    }
    return new Card(l.id().value(), l.name() == null ? "" : l.name(), l.application(), state.wireName(),
        l.expiresAt() == null ? null : l.expiresAt().toString().substring(0, 10), soon, List.copyOf(grants),
        List.copyOf(versions), List.copyOf(ranges), kept, deployment(l.application(), firstImage, secret),
        visibleEntitlements(l, snapshot.entitlements()), l.updatedAt().toString(), Long.toString(l.updatedAt().toEpochMilli()));
  }

  /** The values of the fields the vendor lets customers see, set or default, in the fields' order. */
  private static List<Entitlement> visibleEntitlements(License l, EntitlementFields fields) {
    Map<String, Object> values = fields.values(l.application(), l.entitlements());
    List<Entitlement> out = new ArrayList<>();
    for (EntitlementField f : fields.definitions(l.application())) {
      if (f.visible() && values.containsKey(f.name())) {
        out.add(new Entitlement(f.name(), String.valueOf(values.get(f.name()))));
      }
    }
    return List.copyOf(out);
  }

  /** The versions {@code range} of {@code l} grants at the upstream now, as far as the tag lists tell. */
  private RangeView range(License l, VersionRange range, GrantView line, ApplicationConfig app, Snapshot snapshot,
      Instant now) {
    List<String> templates = new ArrayList<>();
    Map<String, List<Pull>> docker = new LinkedHashMap<>();
    Map<String, List<Pull>> helm = new LinkedHashMap<>();
    Map<String, String> images = new LinkedHashMap<>();
    boolean listed = tags != null;
    String error = null;
    if (app != null) {
      for (RepositoryConfig r : app.repositories()) {
        templates.add(isChart(r) ? helmPull(r.name(), "<version>")
            : "docker pull " + host + "/" + r.name() + ":<tag>");
        Grant g = snapshot.grantOf(l, r.name(), now);
        if (g == null || tags == null) {
          continue;
        }
        UpstreamTagList.Listed list = tags.known(r, l.upstreamCredentials());
        if (list == null || list.tags() == null) {
          listed = false;
          error = list == null ? error : list.error();
          continue;
        }
        TagVersions parse = snapshot.catalog().repository(r.name()).tagVersions();
        for (String tag : g.grantedTags(list.tags()).keySet()) {
          if (!inside(range, parse.parse(tag))) {
            continue;
          }
          String version = g.grantedVersion(l, tag);
          if (version == null) {
            continue;
          }
          if (isChart(r)) {
            helm.computeIfAbsent(version, v -> new ArrayList<>())
                .add(new Pull(r.name(), helmPull(r.name(), version)));
          } else {
            String ref = host + "/" + r.name() + ":" + tag;
            docker.computeIfAbsent(version, v -> new ArrayList<>()).add(new Pull(r.name(), "docker pull " + ref));
            images.putIfAbsent(version, ref);
          }
        }
      }
    }
    List<String> all = new ArrayList<>(docker.keySet());
    helm.keySet().stream().filter(v -> !docker.containsKey(v)).forEach(all::add);
    all.sort(VersionOrder.NEWEST_FIRST);
    List<Version> covered = new ArrayList<>();
    for (String v : all.subList(0, Math.min(MAX_COVERED, all.size()))) {
      covered.add(new Version(v, List.copyOf(docker.getOrDefault(v, List.of())), List.copyOf(helm.getOrDefault(v, List.of())),
          images.get(v), List.of()));
    }
    return new RangeView(line, List.copyOf(covered), all.size() - covered.size(), listed, error, List.copyOf(templates));
  }

  /**
   * Whether {@code r} has one of {@code tags} at the upstream, as its tag list was last listed; true
   * while it is not listed yet (or cannot be), when nothing says otherwise. Asking lists it in the
   * background, and open pages follow when it comes.
   */
  private boolean released(RepositoryConfig r, License l, Set<String> tags) {
    if (this.tags == null) {
      return true;
    }
    UpstreamTagList.Listed list = this.tags.known(r, l.upstreamCredentials());
    if (list == null || list.tags() == null) {
      return true;
    }
    for (String tag : tags) {
      if (list.tags().contains(tag)) {
        return true;
      }
    }
    return false;
  }

  /** Whether a tag read back as {@code tag} stands for a version inside {@code range}. */
  private static boolean inside(VersionRange range, TagVersions.Parsed tag) {
    for (Semver s : tag.semvers()) {
      if (range.matches(s)) {
        return true;
      }
    }
    return false;
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
