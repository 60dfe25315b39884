-- What the programme office's questions need that earlier read models left out,
-- PostgreSQL flavour. Keep it equivalent to ../sqlite/0006_office_questions.sql.

-- A need's priority ('low', 'medium', 'high', 'urgent'); NULL for needs applied before
-- this migration, until a rebuild (docs/operations.md, "Upgrading").
ALTER TABLE needs ADD COLUMN priority text
    CHECK (priority IN ('low', 'medium', 'high', 'urgent'));
-- The reason given with a proposal's decision: why it was rejected, or the approval's
-- note ('' while pending, and until a rebuild).
ALTER TABLE proposals ADD COLUMN decision_reason text NOT NULL DEFAULT '';
-- A report lower than the one before says why ('' for any other, and until a rebuild).
ALTER TABLE progress_reports ADD COLUMN correction text NOT NULL DEFAULT '';
-- What the county supervisor found ('' until a rebuild).
ALTER TABLE supervision_reports ADD COLUMN findings text NOT NULL DEFAULT '';
-- Its place in the NGO's stream, which orders reports filed on one day (0 until a
-- rebuild).
ALTER TABLE supervision_reports ADD COLUMN stream_version bigint NOT NULL DEFAULT 0;

-- Every approval and revocation of an NGO's members, in its stream's order: a member's
-- status on a day is its latest change by then (a revoked member may be approved again).
CREATE TABLE member_changes (
    generation      bigint   NOT NULL,
    ngo             text     NOT NULL,
    stream_version  bigint   NOT NULL,
    member          text     NOT NULL,
    approved        boolean  NOT NULL,
    full_name       text     NOT NULL,
    reason          text     NOT NULL,
    changed_day     text     NOT NULL,
    PRIMARY KEY (generation, ngo, stream_version)
);
