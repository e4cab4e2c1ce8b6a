package io.turnstile.config;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import java.nio.file.Path;

/**
 * The blobs of one upstream kept on local disk, each verified against its digest before it is
 * kept; served from there to every licensed pull after the first.
 *
 * @param directory where the blobs live; Turnstile owns it: files it did not write there may be
 *     deleted. Required; created when missing
 * @param maxSize the most bytes of blobs kept; the least recently used go first beyond it. A
 *     number of bytes or a size with a unit ({@code 512MiB}, {@code 20GiB}); required, at least
 *     1MiB
 */
public record BlobCacheConfig(Path directory, @JsonDeserialize(using = ByteSizes.Deserializer.class) Long maxSize) {
  public BlobCacheConfig {
    Check.required("directory", directory);
    Check.required("maxSize", maxSize);
    if (maxSize < (1L << 20)) {
      throw new InvalidValueException("maxSize", "must be at least 1MiB");
    }
  }
}
