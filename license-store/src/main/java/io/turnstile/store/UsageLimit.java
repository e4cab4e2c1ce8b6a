package io.turnstile.store;

import java.util.Arrays;
import java.util.Optional;

/**
 * The fair-use limits a license can have, each counted per UTC day or calendar month.
 */
public enum UsageLimit {
  /** Manifest GETs answered 200, per day. */
  MANIFEST_PULLS("manifestPullsPerDay", "manifest_pulls", false),
  /** Blob bytes sent, per calendar month. */
  BLOB_BYTES("blobBytesPerMonth", "blob_bytes", true),
  /** Distinct client addresses, per day. */
  ADDRESSES("addressesPerDay", "addresses", false);

  private final String apiName;
  private final String column;
  private final boolean monthly;

  UsageLimit(String apiName, String column, boolean monthly) {
    this.apiName = apiName;
    this.column = column;
    this.monthly = monthly;
  }

  /** The name in the configuration, the admin API and the CLI, e.g. {@code manifestPullsPerDay}. */
  public String apiName() {
    return apiName;
  }

  /** The name the database keeps, e.g. {@code manifest_pulls}. */
  public String storedName() {
    return column;
  }

  /** Whether it counts per calendar month (else per day). */
  public boolean monthly() {
    return monthly;
  }

  /** The limit named {@code apiName}, as the API and the CLI write it. */
  public static Optional<UsageLimit> byApiName(String apiName) {
    return Arrays.stream(values()).filter(l -> l.apiName.equals(apiName)).findFirst();
  }

  /** The limit the database names {@code stored}. */
  public static UsageLimit byStoredName(String stored) {
    return Arrays.stream(values()).filter(l -> l.column.equals(stored)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("unknown limit " + stored));
  }
}
