-- What a pull-log row records: 'pull' (a manifest GET answered 200, as before) or 'bundle' (an
-- air-gap bundle download: its versions comma-separated in "version", the repositories in
-- "repository", the bundle's content tag in "digest", the archive bytes sent in "blob_bytes").
ALTER TABLE pulls ADD COLUMN kind VARCHAR(16) NOT NULL DEFAULT 'pull';
-- For a bundle, whether the whole answer was sent; null for a pull.
ALTER TABLE pulls ADD COLUMN completed BOOLEAN;
