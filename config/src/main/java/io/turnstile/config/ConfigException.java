package io.turnstile.config;

/**
 * A configuration file that cannot be used. The message names the file, the field path and what is
 * wrong, in the form {@code turnstile.yaml: upstreams[0].url: not an absolute http(s) URL}.
 */
public final class ConfigException extends Exception {
  private final String source;
  private final String path;
  private final String problem;

  public ConfigException(String source, String path, String problem) {
    super(source + ": " + (path == null || path.isEmpty() ? "" : path + ": ") + problem);
    this.source = source;
    this.path = path == null ? "" : path;
    this.problem = problem;
  }

  /** The file name (or other source) the configuration came from. */
  public String source() {
    return source;
  }

  /** The field path, e.g. {@code upstreams[0].url}; empty when the whole file is at fault. */
  public String path() {
    return path;
  }

  /** What is wrong. */
  public String problem() {
    return problem;
  }
}
