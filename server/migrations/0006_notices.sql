-- Migration 6: notices — a plan announced over a commune (or the plan's whole area) and
-- every file rendered from it (slides, post, picture, poster, leaflet, audio, words, web
-- fragment), served from here so that several servers answer the same.
-- The same tables in PostgreSQL: pg/0005_notices.sql (keep the two in step).

-- A published notice. `slug`: its public id in URLs ([a-z0-9-]). `commune`: NULL for the
-- plan's whole area. `record`: the notice record (JSON, with geometries) the files were
-- rendered from. `withdrawn_at`: set when an official withdraws it (it leaves the lists).
CREATE TABLE notice (
    id            INTEGER PRIMARY KEY,
    slug          TEXT NOT NULL UNIQUE,
    plan_id       TEXT NOT NULL,
    commune       TEXT,
    kind          TEXT NOT NULL,
    record        TEXT NOT NULL,
    created_by    INTEGER,
    created_at    INTEGER NOT NULL,
    withdrawn_at  INTEGER,
    data_version  TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX notice_commune ON notice (commune, created_at);
CREATE INDEX notice_plan ON notice (plan_id, created_at);

-- The files of a notice, rendered once at publish time.
CREATE TABLE notice_file (
    notice_id     INTEGER NOT NULL REFERENCES notice (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    bytes         BLOB NOT NULL,
    PRIMARY KEY (notice_id, name)
) STRICT;
