package io.turnstile.config;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The whole configuration file. Load it with {@link ConfigLoader}.
 *
 * @param server the public registry listener
 * @param admin the admin API listener; required (it holds the admin token)
 * @param token token issuance
 * @param store the license store
 * @param cache what the proxy caches about upstream content
 * @param upstreams the vendor's registries
 * @param applications what licenses grant versions of
 * @param logging how the log is written; default {@link LoggingConfig#defaults()}
 * @param audit the pull audit log
 * @param webhooks how webhooks are delivered; default {@link WebhooksConfig#defaults()}
 * @param licenseFiles the keys of signed license files; default {@link LicenseFilesConfig#defaults()}
 */
public record TurnstileConfig(
    ServerConfig server,
    AdminConfig admin,
    TokenConfig token,
    StoreConfig store,
    CacheConfig cache,
    List<UpstreamConfig> upstreams,
    List<ApplicationConfig> applications,
    LoggingConfig logging,
    AuditConfig audit,
    WebhooksConfig webhooks,
    LicenseFilesConfig licenseFiles) {
  public TurnstileConfig {
    server = server == null ? ServerConfig.defaults() : server;
    Check.required("admin", admin);
    token = token == null ? TokenConfig.defaults() : token;
    store = store == null ? StoreConfig.defaults() : store;
    cache = cache == null ? CacheConfig.defaults() : cache;
    upstreams = Check.list(upstreams);
    applications = Check.list(applications);
    logging = logging == null ? LoggingConfig.defaults() : logging;
    audit = audit == null ? AuditConfig.defaults() : audit;
    webhooks = webhooks == null ? WebhooksConfig.defaults() : webhooks;
    // Beside the token key unless named: where the operator already keeps (and backs up) keys.
    licenseFiles = (licenseFiles == null ? LicenseFilesConfig.defaults() : licenseFiles)
        .withDefaultKeyIn(token.signingKey().get(0).getParent());
    if (server.listen().equals(admin.listen()) && server.listen().port() != 0) {
      throw new InvalidValueException("admin.listen", "must differ from server.listen");
    }
    Map<String, UpstreamConfig> byName = new HashMap<>();
    for (int i = 0; i < upstreams.size(); i++) {
      if (byName.putIfAbsent(upstreams.get(i).name(), upstreams.get(i)) != null) {
        throw new InvalidValueException(
            "upstreams[" + i + "].name", "'" + upstreams.get(i).name() + "' is listed twice");
      }
    }
    Map<java.nio.file.Path, String> blobDirectories = new HashMap<>();
    for (int i = 0; i < upstreams.size(); i++) {
      BlobCacheConfig blobs = upstreams.get(i).cache().blobs();
      if (blobs != null) {
        String other = blobDirectories.putIfAbsent(blobs.directory().toAbsolutePath().normalize(), upstreams.get(i).name());
        if (other != null) {
          throw new InvalidValueException("upstreams[" + i + "].cache.blobs.directory",
              "already the blob cache of upstream '" + other + "'");
        }
      }
    }
    Map<String, String> appNames = new HashMap<>();
    Map<String, String> repoOwner = new HashMap<>();
    for (int a = 0; a < applications.size(); a++) {
      ApplicationConfig app = applications.get(a);
      if (appNames.putIfAbsent(app.name(), app.name()) != null) {
        throw new InvalidValueException(
            "applications[" + a + "].name", "'" + app.name() + "' is listed twice");
      }
      for (int r = 0; r < app.repositories().size(); r++) {
        RepositoryConfig repo = app.repositories().get(r);
        String at = "applications[" + a + "].repositories[" + r + "]";
        if (!byName.containsKey(repo.upstream())) {
          throw new InvalidValueException(
              at + ".upstream", "no upstream named '" + repo.upstream() + "' in upstreams");
        }
        String owner = repoOwner.putIfAbsent(repo.name(), app.name());
        if (owner != null) {
          throw new InvalidValueException(
              at + ".name", "'" + repo.name() + "' already belongs to application '" + owner + "'");
        }
      }
    }
  }

  public Optional<ApplicationConfig> application(String name) {
    return applications.stream().filter(a -> a.name().equals(name)).findFirst();
  }

  public Optional<UpstreamConfig> upstream(String name) {
    return upstreams.stream().filter(u -> u.name().equals(name)).findFirst();
  }
}
