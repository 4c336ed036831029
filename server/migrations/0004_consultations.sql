-- Migration 4: consultation windows on draft plans.
-- The same table in PostgreSQL: pg/0003_consultations.sql (keep the two in step).

-- A consultation on a plan (in draft): comments are taken from `opens_at` until
-- `closes_at` (Unix seconds, UTC; the page shows Asia/Ho_Chi_Minh). `communes`: the
-- comma-separated communes it is held in ('' for the plan's whole area). Opened by an
-- official or `quyhoach consultations open`.
CREATE TABLE consultation (
    id          INTEGER PRIMARY KEY,
    plan_id     TEXT NOT NULL,
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    communes    TEXT NOT NULL DEFAULT '',
    opens_at    INTEGER NOT NULL,
    closes_at   INTEGER NOT NULL,
    created_by  INTEGER,
    created_at  INTEGER NOT NULL,
    announced   INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX consultation_plan ON consultation (plan_id, closes_at);
