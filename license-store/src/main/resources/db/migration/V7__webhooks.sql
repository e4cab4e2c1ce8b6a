-- Webhooks: the endpoints the vendor's other systems listen on, the outbox of events written in the
-- same transaction as the change that caused them, and one delivery per event and endpoint.

-- secret is the endpoint's signing secret (whsec_...), AES-GCM encrypted like upstream passwords:
-- it must be read back to sign. event_types is a comma-separated list, '*' for every type.
-- failing_since is when the first of the current run of failures happened; NULL while it answers.
CREATE TABLE webhook_endpoints (
  id               VARCHAR(64)    NOT NULL PRIMARY KEY,
  url              VARCHAR(2000)  NOT NULL,
  description      VARCHAR(400)   NOT NULL,
  event_types      VARCHAR(2000)  NOT NULL,
  enabled          BOOLEAN        NOT NULL,
  secret_enc       VARCHAR(400)   NOT NULL,
  created_at       BIGINT         NOT NULL,
  updated_at       BIGINT         NOT NULL,
  failing_since    BIGINT,
  disabled_reason  VARCHAR(400)
);

-- The outbox. seq orders events; it is numbered under the store's write lock, as events are.
-- payload is the JSON body sent, signed anew at each attempt.
CREATE TABLE outbox_events (
  seq          BIGINT          NOT NULL PRIMARY KEY,
  id           VARCHAR(64)     NOT NULL UNIQUE,
  type         VARCHAR(64)     NOT NULL,
  at           BIGINT          NOT NULL,
  payload      VARCHAR(1000000) NOT NULL
);

-- One row per event and endpoint. ordering_key (a license, a customer, or the event itself) keeps
-- deliveries of one license in order: a delivery waits while an earlier one of its key is pending.
-- lease_until/leased_by: the replica delivering it now; another takes it over once the lease ends.
-- state: pending, delivered or failed (gave up).
CREATE TABLE webhook_deliveries (
  id               VARCHAR(64)    NOT NULL PRIMARY KEY,
  seq              BIGINT         NOT NULL REFERENCES outbox_events (seq),
  endpoint_id      VARCHAR(64)    NOT NULL REFERENCES webhook_endpoints (id),
  ordering_key     VARCHAR(64)    NOT NULL,
  state            VARCHAR(16)    NOT NULL,
  attempts         INT            NOT NULL,
  created_at       BIGINT         NOT NULL,
  next_attempt_at  BIGINT         NOT NULL,
  lease_until      BIGINT,
  leased_by        VARCHAR(64),
  last_attempt_at  BIGINT,
  last_status      INT,
  last_duration_ms BIGINT,
  last_error       VARCHAR(400)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, seq);
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (endpoint_id, ordering_key, state, seq);

-- Expiry warnings already sent: one row per license and threshold (days before expiry; 0 for
-- expired), inserted in the transaction that writes the event, so each is sent once, whichever
-- replica saw it first and across restarts.
CREATE TABLE expiry_notices (
  license_id  VARCHAR(64)  NOT NULL REFERENCES licenses (id),
  days        INT          NOT NULL,
  expires_at  BIGINT       NOT NULL,
  at          BIGINT       NOT NULL,
  PRIMARY KEY (license_id, days, expires_at)
);

-- Versions each license has pulled, for pull.first_of_version: inserted with the event, so the
-- first pull of a version is announced once whichever replica wrote it.
CREATE TABLE first_pulls (
  license_id  VARCHAR(64)   NOT NULL,
  version     VARCHAR(128)  NOT NULL,
  at          BIGINT        NOT NULL,
  PRIMARY KEY (license_id, version)
);
