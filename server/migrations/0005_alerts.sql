-- Migration 5: alerts — follows of a parcel, a commune or a plan, the events they hear of
-- (Atom feeds), the mail outbox, and the planning fingerprint of each followed parcel.
-- The same tables in PostgreSQL: pg/0004_alerts.sql (keep the two in step).

-- A follow: `subject_kind` parcel | commune | plan and its id. `token_hash`: SHA-256 of the
-- private token of its feed and its unsubscribe link. `email` (optional) gets each event;
-- it is personal data: never published, deleted with the follow (unsubscribe) or at
-- `delete_after`.
CREATE TABLE follow (
    id           INTEGER PRIMARY KEY,
    token_hash   BLOB NOT NULL UNIQUE,
    subject_kind TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    label        TEXT NOT NULL DEFAULT '',
    lang         TEXT NOT NULL DEFAULT 'vi',
    email        TEXT,
    delete_after INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX follow_subject ON follow (subject_kind, subject_id);

-- What a followed parcel's planning was at the last data version seen: a hash of its zones
-- and red lines (and their summary as JSON, to say what changed).
CREATE TABLE subject_fingerprint (
    subject_kind TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    data_version TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    summary      TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (subject_kind, subject_id)
) STRICT;

-- Something a follower hears of: `kind` zones_changed | redlines_changed |
-- consultation_opened | question_answered; about `subject_kind`/`subject_id` (parcel,
-- commune, plan); public text only (feeds are readable by whoever has the link).
CREATE TABLE alert_event (
    id           INTEGER PRIMARY KEY,
    at           INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    title        TEXT NOT NULL,
    summary      TEXT NOT NULL,
    link         TEXT NOT NULL DEFAULT '',
    data_version TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX alert_event_subject ON alert_event (subject_kind, subject_id, at);

-- Mail waiting to go out through the operator's SMTP server (retried with backoff).
CREATE TABLE mail_outbox (
    id          INTEGER PRIMARY KEY,
    follow_id   INTEGER REFERENCES follow (id) ON DELETE CASCADE,
    event_id    INTEGER,
    to_addr     TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_try_at INTEGER NOT NULL,
    sent_at     INTEGER,
    last_error  TEXT
) STRICT;
CREATE INDEX mail_outbox_due ON mail_outbox (sent_at, next_try_at);
