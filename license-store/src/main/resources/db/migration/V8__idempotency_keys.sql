-- Idempotency-Key of admin writes: a row is written in the same transaction as the change it
-- names, so it exists exactly when the change was committed, on whichever replica. A retry with
-- the same key (per actor, the name the activity log records) finds it and is answered what the
-- first request was, never applied again. fingerprint is the SHA-256 of the request's method, path
-- and body; status and response are the first answer, written just after the commit (null until
-- then). A response that carried a secret (a license key, an API token) is kept without it, and
-- secret_withheld says so: secrets are never stored in the clear. Rows older than 24 h are pruned.
CREATE TABLE idempotency_keys (
  actor            VARCHAR(200)  NOT NULL,
  idem_key         VARCHAR(255)  NOT NULL,
  fingerprint      VARCHAR(64)   NOT NULL,
  created_at       BIGINT        NOT NULL,
  status           INTEGER,
  response         TEXT,
  secret_withheld  INTEGER       NOT NULL DEFAULT 0,
  PRIMARY KEY (actor, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
