-- Grants that follow a product line: npm-style version ranges ("2.x", "~2.4.0", ">=2.0.0 <3.0.0")
-- and every version ("*"), kept beside the exact versions of license_versions. The expression is
-- stored as the store normalised it; it is parsed once, when the snapshot is loaded.
CREATE TABLE license_ranges (
  license_id          VARCHAR(64)   NOT NULL REFERENCES licenses (id),
  expression          VARCHAR(256)  NOT NULL,
  include_prerelease  BOOLEAN       NOT NULL,
  granted_at          BIGINT        NOT NULL,
  PRIMARY KEY (license_id, expression)
);

-- After expiry, keep granting the versions whose tags Turnstile saw before the expiry.
ALTER TABLE licenses ADD COLUMN keep_released_before_expiry BOOLEAN NOT NULL DEFAULT FALSE;

-- When Turnstile first saw each tag of a repository (customer-facing name), in epoch milliseconds.
-- Rows are only ever added, never updated: the first writer wins, so a tag seen after a license's
-- expiry can never be dated before it.
CREATE TABLE tags_seen (
  repository     VARCHAR(255)  NOT NULL,
  tag            VARCHAR(128)  NOT NULL,
  first_seen_at  BIGINT        NOT NULL,
  PRIMARY KEY (repository, tag)
);
