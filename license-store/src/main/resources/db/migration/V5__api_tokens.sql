-- Personal API tokens of the vendor's team, for scripts, the CLI and the vendor's own systems. Only
-- the SHA-256 of a token is kept; the token itself is shown once, when it is made. role is the
-- admin API's role label ('viewer', 'editor', 'admin'); owner names who made it, as the activity
-- log names people ('admin-token' for the break-glass token). last_used_at is written in batches,
-- so it may trail the newest use by a few seconds. Rows are never deleted: a revoked token stays
-- listed, and the activity log names it.
CREATE TABLE api_tokens (
  id            VARCHAR(64)   NOT NULL PRIMARY KEY,
  name          VARCHAR(64)   NOT NULL,
  owner         VARCHAR(200)  NOT NULL,
  role          VARCHAR(16)   NOT NULL,
  token_hash    VARCHAR(64)   NOT NULL UNIQUE,
  created_at    BIGINT        NOT NULL,
  expires_at    BIGINT        NOT NULL,
  revoked_at    BIGINT,
  last_used_at  BIGINT
);
CREATE INDEX api_tokens_owner ON api_tokens (owner);
