-- Console and portal sessions, kept here so that every replica finds a session made on another.
-- A session is found by the SHA-256 of its id: the id itself (the cookie's value) is never stored.
-- principal is what the session stands for, as the area writes it (the console's actor and role,
-- the portal's username and credential id; never a key). csrf is the form token, sealed with the
-- store's encryption key and bound to id_hash. last_seen_at is written in batches, so it may trail
-- the newest use by a few seconds. Rows idle for a day are deleted.
CREATE TABLE web_sessions (
  id_hash       VARCHAR(64)   NOT NULL PRIMARY KEY,
  area          VARCHAR(16)   NOT NULL,
  principal     VARCHAR(2000) NOT NULL,
  owner         VARCHAR(512)  NOT NULL,
  csrf          VARCHAR(200)  NOT NULL,
  created_at    BIGINT        NOT NULL,
  last_seen_at  BIGINT        NOT NULL,
  ended_at      BIGINT
);
CREATE INDEX web_sessions_owner ON web_sessions (area, owner);
CREATE INDEX web_sessions_last_seen ON web_sessions (last_seen_at);
CREATE INDEX web_sessions_ended ON web_sessions (ended_at);
-- What a session keeps for its next page only (a key shown once, a notice), sealed with the store's
-- encryption key, bound to the session and the name; deleted when read.
CREATE TABLE web_session_flash (
  id_hash       VARCHAR(64)   NOT NULL,
  name          VARCHAR(64)   NOT NULL,
  sealed        TEXT          NOT NULL,
  created_at    BIGINT        NOT NULL,
  PRIMARY KEY (id_hash, name)
);
