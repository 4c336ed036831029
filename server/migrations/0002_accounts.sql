-- Migration 2: officials' accounts, their sessions, login throttling and the audit log.
-- The same tables in PostgreSQL: pg/0001_accounts.sql (keep the two in step).

-- An official: created by `quyhoach users add`, never with a default password. `role` is
-- commune (answers for the communes listed in `communes`, comma-separated codes),
-- planning_office (the whole province) or admin. `password_hash` is an Argon2id PHC string.
CREATE TABLE official (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    communes      TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    password_at   INTEGER NOT NULL
) STRICT;

-- A signed-in session. Only the SHA-256 of the cookie's token is kept; `csrf` is the token
-- every state-changing request must echo in X-CSRF-Token.
CREATE TABLE official_session (
    token_hash  BLOB PRIMARY KEY NOT NULL,
    official_id INTEGER NOT NULL REFERENCES official (id) ON DELETE CASCADE,
    csrf        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX official_session_expires ON official_session (expires_at);

-- Failed logins per key (a salted hash of the username, and one of the client address).
CREATE TABLE login_throttle (
    key          BLOB PRIMARY KEY NOT NULL,
    failures     INTEGER NOT NULL,
    window_start INTEGER NOT NULL,
    locked_until INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Every official action: who, when, what, on which row, and a short detail (never a
-- citizen's contact details).
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    official_id INTEGER,
    username    TEXT NOT NULL,
    action      TEXT NOT NULL,
    target_kind TEXT NOT NULL DEFAULT '',
    target_id   INTEGER,
    detail      TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX audit_log_target ON audit_log (target_kind, target_id);

-- Secrets every server of a deployment shares (HMAC keys of form tokens and unsubscribe
-- codes): random 32 bytes each, made by the first server that needs one.
CREATE TABLE portal_secret (
    name  TEXT PRIMARY KEY NOT NULL,
    value BLOB NOT NULL
) STRICT;
