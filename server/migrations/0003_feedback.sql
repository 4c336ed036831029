-- Migration 3: what citizens and businesses send — questions, data-error reports and
-- comments on draft plans — with what they are about, their answers and moderation.
-- The same tables in PostgreSQL: pg/0002_feedback.sql (keep the two in step).

-- One submission. `kind`: question | error | comment; `position` (comments): support |
-- object | other. What it is about, as the citizen saw it: `subject_kind` parcel | site |
-- plan | zone, the ids, a label, the geometry (GeoJSON, WGS 84), the report's data version
-- and `context` (JSON: the report's summary the citizen had on screen).
-- `state`: new | answered | published | hidden | merged | fixed. `answer` is the official's
-- answer (for a comment: the response the consultation summary lists). `version` grows on
-- every change: updates are conditional on it, so concurrent answers never overwrite each
-- other. `follow_hash`: SHA-256 of the asker's private link token. `body_folded` and
-- `answer_folded`: lower case without diacritics, for search. `client`: a salted hash of
-- the sender's address (rate limits), cleared with the contact details.
CREATE TABLE submission (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,
    position      TEXT,
    body          TEXT NOT NULL,
    body_folded   TEXT NOT NULL,
    lang          TEXT NOT NULL DEFAULT 'vi',
    subject_kind  TEXT NOT NULL,
    parcel_id     TEXT,
    commune       TEXT,
    plan_id       TEXT,
    zone_id       TEXT,
    subject_label TEXT NOT NULL DEFAULT '',
    geometry      TEXT,
    data_version  TEXT NOT NULL DEFAULT '',
    context       TEXT NOT NULL DEFAULT '{}',
    consultation_id INTEGER,
    state         TEXT NOT NULL DEFAULT 'new',
    answer        TEXT,
    answer_folded TEXT,
    answered_by   INTEGER,
    answered_at   INTEGER,
    hidden_reason TEXT,
    merged_into   INTEGER,
    fixed_version TEXT,
    published_at  INTEGER,
    version       INTEGER NOT NULL DEFAULT 1,
    follow_hash   BLOB NOT NULL UNIQUE,
    client        BLOB,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX submission_state ON submission (state, created_at);
CREATE INDEX submission_commune ON submission (commune, state);
CREATE INDEX submission_plan ON submission (plan_id, state);
CREATE INDEX submission_parcel ON submission (parcel_id, state);
CREATE INDEX submission_consultation ON submission (consultation_id, state);

-- Contact details: optional, used only to reply, never published, deleted at
-- `delete_after` (the retention period) by the hourly sweep.
CREATE TABLE submission_contact (
    submission_id INTEGER PRIMARY KEY NOT NULL REFERENCES submission (id) ON DELETE CASCADE,
    name          TEXT,
    phone         TEXT,
    email         TEXT,
    delete_after  INTEGER NOT NULL
) STRICT;
CREATE INDEX submission_contact_delete ON submission_contact (delete_after);

-- A photo (re-encoded, metadata stripped) or a PDF (checked for active content) attached
-- to a submission; shown to officials only.
CREATE TABLE submission_attachment (
    id            INTEGER PRIMARY KEY,
    submission_id INTEGER NOT NULL REFERENCES submission (id) ON DELETE CASCADE,
    media_type    TEXT NOT NULL,
    filename      TEXT NOT NULL,
    sha256        BLOB NOT NULL,
    size          INTEGER NOT NULL,
    bytes         BLOB NOT NULL
) STRICT;
CREATE INDEX submission_attachment_of ON submission_attachment (submission_id);
