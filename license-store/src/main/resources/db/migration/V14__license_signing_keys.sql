-- License-signing keys kept in the store (licenseFiles.keySource: store) share the table of the
-- token signing keys, apart by purpose: 'token' signs registry tokens, 'license' signs license
-- files and online check answers. Every read and write names its purpose, so a key of one kind is
-- never found, activated or published as the other; a license key's PEM is also encrypted with
-- its purpose in the associated data, so a row whose purpose were changed would not decrypt.
ALTER TABLE signing_keys ADD COLUMN purpose VARCHAR(16) NOT NULL DEFAULT 'token';
CREATE INDEX signing_keys_purpose ON signing_keys (purpose, state);
