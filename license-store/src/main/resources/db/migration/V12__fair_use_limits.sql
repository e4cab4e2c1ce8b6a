-- Fair-use limits per license. Use is counted in memory by each replica and added here in batches
-- (about once a second) as deltas, so the row holds what every replica counted together.
-- limit_name: manifest_pulls, blob_bytes or addresses; period: the UTC day (2026-12-07) or month
-- (2026-12) it counts.
CREATE TABLE usage_counts (
  license_id  VARCHAR(64)  NOT NULL REFERENCES licenses (id),
  limit_name  VARCHAR(32)  NOT NULL,
  period      VARCHAR(16)  NOT NULL,
  amount      BIGINT       NOT NULL,
  PRIMARY KEY (license_id, limit_name, period)
);

-- The distinct client addresses of each license per UTC day, with the user agent first seen from
-- each: their number is the addresses use, and the fleet view lists them.
CREATE TABLE usage_addresses (
  license_id  VARCHAR(64)   NOT NULL REFERENCES licenses (id),
  day         VARCHAR(16)   NOT NULL,
  address     VARCHAR(64)   NOT NULL,
  user_agent  VARCHAR(400),
  first_at    BIGINT        NOT NULL,
  PRIMARY KEY (license_id, day, address)
);

-- A license's own limits, overriding its application's (config applications[].limits).
-- mode: enforce or watch.
CREATE TABLE license_limits (
  license_id  VARCHAR(64)  NOT NULL REFERENCES licenses (id),
  limit_name  VARCHAR(32)  NOT NULL,
  amount      BIGINT       NOT NULL,
  mode        VARCHAR(16)  NOT NULL,
  updated_at  BIGINT       NOT NULL,
  PRIMARY KEY (license_id, limit_name)
);

-- license.limit_warning (notice warning) and license.limit_reached (notice reached) already queued:
-- inserted with the event, so each is sent once per license, limit and period whichever replica
-- saw it first.
CREATE TABLE limit_notices (
  license_id  VARCHAR(64)  NOT NULL REFERENCES licenses (id),
  limit_name  VARCHAR(32)  NOT NULL,
  period      VARCHAR(16)  NOT NULL,
  notice      VARCHAR(16)  NOT NULL,
  at          BIGINT       NOT NULL,
  PRIMARY KEY (license_id, limit_name, period, notice)
);
