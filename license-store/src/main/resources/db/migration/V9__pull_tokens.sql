-- Pull tokens: named credentials a customer makes for one of its licenses (one per cluster or CI
-- system), used as "docker login -u <license id> -p tpt_...". Only the SHA-256 of a token is kept;
-- the token itself is shown once, when it is made. A token never grants more than its license and
-- stops with it. last_used_at is written in batches, so it may trail the newest use by a few
-- seconds. Rows are never deleted: a revoked token stays listed, and the pull log names it.
CREATE TABLE pull_tokens (
  id            VARCHAR(64)   NOT NULL PRIMARY KEY,
  license_id    VARCHAR(64)   NOT NULL REFERENCES licenses (id),
  customer_id   VARCHAR(64)   NOT NULL REFERENCES customers (id),
  name          VARCHAR(64)   NOT NULL,
  token_hash    VARCHAR(64)   NOT NULL UNIQUE,
  created_at    BIGINT        NOT NULL,
  -- null: until the license ends
  expires_at    BIGINT,
  revoked_at    BIGINT,
  last_used_at  BIGINT
);
CREATE INDEX pull_tokens_license ON pull_tokens (license_id);
CREATE INDEX pull_tokens_customer ON pull_tokens (customer_id);
-- The pull token a pull was made with (its id); null for a license or customer key.
ALTER TABLE pulls ADD COLUMN token_id VARCHAR(64);
