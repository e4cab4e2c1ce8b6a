package io.turnstile.proxy.admin;

import io.turnstile.config.ApplicationConfig;
import java.io.IOException;
import java.util.List;

/** Lists the versions of an application that exist at its upstream. */
@FunctionalInterface
public interface VersionSource {
  List<String> versions(ApplicationConfig application) throws IOException, InterruptedException;
}
