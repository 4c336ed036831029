-- Migration 1: the portal's settings and workshops.
--
-- Every piece of portal state lives in this one database; each later feature (questions,
-- consultations) adds its tables in a new numbered file (0002_….sql) listed in
-- server/src/portal/db.rs. Migrations only ever add: a file, once released, never changes.
-- Times are Unix seconds (UTC).

-- Settings of this database: a random salt for hashing client addresses (rate limits keep
-- no address in clear).
CREATE TABLE portal_meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value BLOB NOT NULL
) STRICT;

-- A workshop a trainer started. Only the SHA-256 of the trainer's key is kept; `creator`
-- is a salted hash of the address that started it (for the per-address limits), deleted
-- with the workshop when it expires.
CREATE TABLE workshop (
    id               INTEGER PRIMARY KEY,
    code             TEXT NOT NULL UNIQUE,
    title            TEXT NOT NULL DEFAULT '',
    trainer_key_hash BLOB NOT NULL,
    creator          BLOB NOT NULL,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    push_lesson      TEXT,
    push_step        TEXT,
    push_seq         INTEGER NOT NULL DEFAULT 0,
    push_at          INTEGER
) STRICT;
CREATE INDEX workshop_expires ON workshop (expires_at);
CREATE INDEX workshop_creator ON workshop (creator, created_at);

-- A trainee in a workshop: a display name only, and where they are now. `wrong`, `shown`
-- and `done` are for the current step and reset when the trainee moves to another one.
CREATE TABLE participant (
    id           INTEGER PRIMARY KEY,
    workshop_id  INTEGER NOT NULL REFERENCES workshop (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    key_hash     BLOB NOT NULL,
    joined_at    INTEGER NOT NULL,
    last_seen    INTEGER NOT NULL,
    lesson       TEXT,
    step         TEXT,
    since        INTEGER,
    wrong        INTEGER NOT NULL DEFAULT 0,
    shown        INTEGER NOT NULL DEFAULT 0,
    done_at      INTEGER,
    -- Progress writes in the current rate window (see MAX_WRITES_PER_WINDOW).
    rate_window  INTEGER NOT NULL DEFAULT 0,
    rate_count   INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX participant_workshop ON participant (workshop_id);

-- Steps a trainee has finished (each once).
CREATE TABLE step_done (
    participant_id INTEGER NOT NULL REFERENCES participant (id) ON DELETE CASCADE,
    lesson         TEXT NOT NULL,
    step           TEXT NOT NULL,
    at             INTEGER NOT NULL,
    PRIMARY KEY (participant_id, lesson, step)
) STRICT, WITHOUT ROWID;
