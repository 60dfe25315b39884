-- The goals a proposal names as served, PostgreSQL flavour. Keep it equivalent to
-- ../sqlite/0005_proposal_goals.sql.

-- A proposal that names none serves every goal of its approach (docs/projection.md,
-- "Progress rules"): it has no row here. Proposals applied before this migration have
-- none either, which is what they named.
CREATE TABLE proposal_goals (
    generation   bigint  NOT NULL,
    proposal_id  text    NOT NULL,
    goal_code    text    NOT NULL,
    -- Its place in the proposal's list, from 0: the goals read back in the order named.
    ordinal      bigint  NOT NULL,
    zone         text    NOT NULL,
    PRIMARY KEY (generation, proposal_id, goal_code)
);
CREATE INDEX proposal_goals_by_zone ON proposal_goals (generation, zone);
