-- The goals a proposal names as served, SQLite flavour. Keep it equivalent to
-- ../postgres/0005_proposal_goals.sql.

-- A proposal that names none serves every goal of its approach (docs/projection.md,
-- "Progress rules"): it has no row here. Proposals applied before this migration have
-- none either, which is what they named.
CREATE TABLE proposal_goals (
    generation   INTEGER NOT NULL,
    proposal_id  TEXT    NOT NULL,
    goal_code    TEXT    NOT NULL,
    -- Its place in the proposal's list, from 0: the goals read back in the order named.
    ordinal      INTEGER NOT NULL,
    zone         TEXT    NOT NULL,
    PRIMARY KEY (generation, proposal_id, goal_code)
) STRICT, WITHOUT ROWID;
CREATE INDEX proposal_goals_by_zone ON proposal_goals (generation, zone);
