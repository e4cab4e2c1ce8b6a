-- Entitlements: the values a license sets for its application's entitlement fields (defined in the
-- configuration), each kept as the canonical text of the field's type. A field a license does not
-- set takes the field's default, so only the values set are stored.
CREATE TABLE license_entitlements (
  license_id  VARCHAR(64)    NOT NULL REFERENCES licenses (id),
  name        VARCHAR(64)    NOT NULL,
  value       VARCHAR(1024)  NOT NULL,
  PRIMARY KEY (license_id, name)
);
