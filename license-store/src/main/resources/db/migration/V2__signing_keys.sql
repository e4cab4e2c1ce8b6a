-- Token signing keys kept in the store, so that every replica signs and verifies with the same
-- keys. The PEM (private key and certificate) is AES-GCM encrypted under the store key, with the
-- kid as associated data. state: 'active' (signs, one at most), 'verify' (verifies only) or
-- 'retired' (neither; kept for history).
CREATE TABLE signing_keys (
  kid         VARCHAR(128)   NOT NULL PRIMARY KEY,
  pem_enc     VARCHAR(16000) NOT NULL,
  state       VARCHAR(16)    NOT NULL,
  created_at  BIGINT         NOT NULL,
  updated_at  BIGINT         NOT NULL
);
