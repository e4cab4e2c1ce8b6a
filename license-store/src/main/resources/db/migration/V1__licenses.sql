-- Customers, their licenses and credentials. Written for both SQLite and PostgreSQL.
-- Times are epoch milliseconds (BIGINT) so both databases store them alike.

CREATE TABLE customers (
  id          VARCHAR(64)  NOT NULL PRIMARY KEY,
  name        VARCHAR(200) NOT NULL,
  created_at  BIGINT       NOT NULL,
  deleted_at  BIGINT
);

-- Customer-level keys: docker login -u <customer id>; the grant is the union of the customer's
-- valid licenses. Only the SHA-256 of a key is kept.
CREATE TABLE customer_keys (
  id           VARCHAR(64)  NOT NULL PRIMARY KEY,
  customer_id  VARCHAR(64)  NOT NULL REFERENCES customers (id),
  key_hash     VARCHAR(64)  NOT NULL UNIQUE,
  created_at   BIGINT       NOT NULL,
  revoked_at   BIGINT
);
CREATE INDEX customer_keys_customer ON customer_keys (customer_id);

CREATE TABLE licenses (
  id                     VARCHAR(64)   NOT NULL PRIMARY KEY,
  customer_id            VARCHAR(64)   NOT NULL REFERENCES customers (id),
  name                   VARCHAR(200)  NOT NULL,
  application            VARCHAR(64)   NOT NULL,
  expires_at             BIGINT,
  revoked_at             BIGINT,
  -- Changes on every key rotation; refresh tokens name it, so they die with the old key.
  key_id                 VARCHAR(64)   NOT NULL,
  key_hash               VARCHAR(64)   NOT NULL UNIQUE,
  -- The license's own upstream credentials; the password is AES-GCM encrypted.
  upstream_username      VARCHAR(400),
  upstream_password_enc  VARCHAR(2000),
  created_at             BIGINT        NOT NULL,
  updated_at             BIGINT        NOT NULL
);
CREATE INDEX licenses_customer ON licenses (customer_id);

CREATE TABLE license_versions (
  license_id  VARCHAR(64)  NOT NULL REFERENCES licenses (id),
  version     VARCHAR(128) NOT NULL,
  granted_at  BIGINT       NOT NULL,
  PRIMARY KEY (license_id, version)
);

-- Who changed what and when. Never updated or deleted. seq orders events (and is the cursor a
-- replica can follow to learn of changes made elsewhere).
CREATE TABLE events (
  id           VARCHAR(64)   NOT NULL PRIMARY KEY,
  seq          BIGINT        NOT NULL UNIQUE,
  at           BIGINT        NOT NULL,
  actor        VARCHAR(200)  NOT NULL,
  action       VARCHAR(64)   NOT NULL,
  customer_id  VARCHAR(64),
  license_id   VARCHAR(64),
  detail       VARCHAR(4000)
);
CREATE INDEX events_license ON events (license_id, at);
CREATE INDEX events_customer ON events (customer_id, at);
