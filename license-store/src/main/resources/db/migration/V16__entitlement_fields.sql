-- Entitlement fields defined through the admin API, beside those of the configuration (which are
-- never stored here: the configuration wins, and the API refuses to define a configured name).
-- type: integer, boolean, string or date; default_value: the canonical text of the type, or null
-- (a license that sets no value has none). Values per license stay in license_entitlements.
CREATE TABLE entitlement_fields (
  application    VARCHAR(64)    NOT NULL,
  name           VARCHAR(64)    NOT NULL,
  type           VARCHAR(16)    NOT NULL,
  default_value  VARCHAR(1024),
  visible        BOOLEAN        NOT NULL,
  created_at     BIGINT         NOT NULL,
  updated_at     BIGINT         NOT NULL,
  PRIMARY KEY (application, name)
);
