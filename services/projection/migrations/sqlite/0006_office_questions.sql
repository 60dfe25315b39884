-- What the programme office's questions need that earlier read models left out, SQLite
-- flavour. Keep it equivalent to ../postgres/0006_office_questions.sql.

-- A need's priority ('low', 'medium', 'high', 'urgent'); NULL for needs applied before
-- this migration, until a rebuild (docs/operations.md, "Upgrading").
ALTER TABLE needs ADD COLUMN priority TEXT
    CHECK (priority IN ('low', 'medium', 'high', 'urgent'));
-- The reason given with a proposal's decision: why it was rejected, or the approval's
-- note ('' while pending, and until a rebuild).
ALTER TABLE proposals ADD COLUMN decision_reason TEXT NOT NULL DEFAULT '';
-- A report lower than the one before says why ('' for any other, and until a rebuild).
ALTER TABLE progress_reports ADD COLUMN correction TEXT NOT NULL DEFAULT '';
-- What the county supervisor found ('' until a rebuild).
ALTER TABLE supervision_reports ADD COLUMN findings TEXT NOT NULL DEFAULT '';
-- Its place in the NGO's stream, which orders reports filed on one day (0 until a
-- rebuild).
ALTER TABLE supervision_reports ADD COLUMN stream_version INTEGER NOT NULL DEFAULT 0;

-- Every approval and revocation of an NGO's members, in its stream's order: a member's
-- status on a day is its latest change by then (a revoked member may be approved again).
CREATE TABLE member_changes (
    generation      INTEGER NOT NULL,
    ngo             TEXT    NOT NULL,
    stream_version  INTEGER NOT NULL,
    member          TEXT    NOT NULL,
    approved        INTEGER NOT NULL CHECK (approved IN (0, 1)),
    -- The full name an approval gives; '' on a revocation.
    full_name       TEXT    NOT NULL,
    -- The reason a revocation gives; '' on an approval.
    reason          TEXT    NOT NULL,
    changed_day     TEXT    NOT NULL,
    PRIMARY KEY (generation, ngo, stream_version)
) STRICT, WITHOUT ROWID;
