-- The pull audit log: one row per manifest GET answered 200; identical GETs (same key, repository,
-- tag, digest, address and client) within a second of the first are one row with a count. Written in batches off the request
-- path and pruned after audit.retention. No foreign keys: a record outlives what it names, and an
-- insert checks nothing. Never a key or a token. Times are epoch milliseconds, as elsewhere.
CREATE TABLE pulls (
  id              VARCHAR(32)   NOT NULL,
  at              BIGINT        NOT NULL,
  license_id      VARCHAR(64),
  customer_id     VARCHAR(64)   NOT NULL,
  -- 'license' (a license key) or 'customer' (a customer-level key)
  credential      VARCHAR(16)   NOT NULL,
  application     VARCHAR(64)   NOT NULL,
  repository      VARCHAR(256)  NOT NULL,
  -- the tag asked for; null for a pull by digest
  tag             VARCHAR(128),
  -- the licensed version the tag (or, by digest, the granted tag that reaches it) belongs to
  version         VARCHAR(128),
  digest          VARCHAR(140)  NOT NULL,
  client_address  VARCHAR(64),
  user_agent      VARCHAR(400),
  -- blob bytes sent for this pull, where they could be joined to it; null when not counted
  blob_bytes      BIGINT,
  -- how many identical GETs the row stands for, the first at "at"
  pull_count      INTEGER       NOT NULL DEFAULT 1,
  -- Pages are read newest first by (at, id), and pruning deletes the oldest: the key serves both,
  -- and new rows land at its end.
  PRIMARY KEY (at, id)
);
-- Every index costs each insert, on the thread that shares the cores with the pulls: one for each
-- summary (per license, per customer), none for the application filter, which pages scan.
CREATE INDEX pulls_license ON pulls (license_id, at);
CREATE INDEX pulls_customer ON pulls (customer_id, at);
