-- Saman projection read models, SQLite flavour. Keep it equivalent to
-- ../postgres/0001_read_models.sql: the read models' SQL text is shared by both backends.
--
-- Days are ISO 8601 text ("2018-04-20": it sorts as the days do), Asia/Tehran days where a
-- day comes from an instant; instants are unix microseconds (UTC); booleans are 0/1.
--
-- Every read-model row carries its `generation`: a rebuild fills generation g+1 while g is
-- served, then a promotion makes g+1 current and deletes g. The read-model tables are facts
-- taken from the events; queries aggregate them "as of" a day.

-- The generations of the read models; exactly one is current (served).
CREATE TABLE generations (
    generation  INTEGER PRIMARY KEY CHECK (generation >= 1),
    is_current  INTEGER NOT NULL CHECK (is_current IN (0, 1)),
    -- the checkpoint: the highest JetStream stream sequence applied
    position    INTEGER NOT NULL DEFAULT 0 CHECK (position >= 0)
) STRICT;
CREATE UNIQUE INDEX generations_one_current ON generations (is_current) WHERE is_current = 1;

-- Every event applied (or parked after decoding), for deduplication on (stream, version):
-- JetStream's duplicate window is only minutes long.
CREATE TABLE applied (
    generation      INTEGER NOT NULL,
    stream_id       TEXT    NOT NULL,
    stream_version  INTEGER NOT NULL,
    position        INTEGER NOT NULL,
    PRIMARY KEY (generation, stream_id, stream_version)
) STRICT, WITHOUT ROWID;

-- Messages that could not be decoded or applied, with the reason.
CREATE TABLE parked (
    generation    INTEGER NOT NULL,
    position      INTEGER NOT NULL,
    subject       TEXT    NOT NULL,
    event_id      TEXT    NOT NULL,
    reason        TEXT    NOT NULL,
    payload       BLOB    NOT NULL,
    parked_at_us  INTEGER NOT NULL,
    PRIMARY KEY (generation, position)
) STRICT, WITHOUT ROWID;

-- The latest ProgrammeDatesSet.
CREATE TABLE programme (
    generation          INTEGER PRIMARY KEY,
    needs_deadline      TEXT    NOT NULL,
    proposals_deadline  TEXT    NOT NULL,
    operational_start   TEXT    NOT NULL,
    goal_date           TEXT    NOT NULL,
    stream_version      INTEGER NOT NULL
) STRICT;

CREATE TABLE zones (
    generation        INTEGER NOT NULL,
    code              TEXT    NOT NULL,
    name_fa           TEXT    NOT NULL,
    name_en           TEXT    NOT NULL,
    registered_at_us  INTEGER NOT NULL,
    registered_day    TEXT    NOT NULL,
    PRIMARY KEY (generation, code)
) STRICT, WITHOUT ROWID;

-- A zone's year-end goals, in registration order (`ordinal`).
CREATE TABLE goals (
    generation  INTEGER NOT NULL,
    zone        TEXT    NOT NULL,
    code        TEXT    NOT NULL,
    ordinal     INTEGER NOT NULL,
    approach    TEXT    NOT NULL CHECK (approach IN ('infrastructural', 'social')),
    title_fa    TEXT    NOT NULL,
    title_en    TEXT    NOT NULL,
    weight      INTEGER NOT NULL,
    PRIMARY KEY (generation, zone, code)
) STRICT, WITHOUT ROWID;

CREATE TABLE ngos (
    generation             INTEGER NOT NULL,
    code                   TEXT    NOT NULL,
    name_fa                TEXT    NOT NULL,
    name_en                TEXT    NOT NULL,
    ministry_approval_ref  TEXT    NOT NULL,
    approved_day           TEXT    NOT NULL,
    PRIMARY KEY (generation, code)
) STRICT, WITHOUT ROWID;

CREATE TABLE agencies (
    generation      INTEGER NOT NULL,
    code            TEXT    NOT NULL,
    name_fa         TEXT    NOT NULL,
    name_en         TEXT    NOT NULL,
    registered_day  TEXT    NOT NULL,
    PRIMARY KEY (generation, code)
) STRICT, WITHOUT ROWID;

CREATE TABLE needs (
    generation      INTEGER NOT NULL,
    need_id         TEXT    NOT NULL,
    zone            TEXT    NOT NULL,
    ngo             TEXT    NOT NULL,
    member          TEXT    NOT NULL,
    approach        TEXT    NOT NULL CHECK (approach IN ('infrastructural', 'social')),
    title           TEXT    NOT NULL,
    households      INTEGER NOT NULL,
    late            INTEGER NOT NULL CHECK (late IN (0, 1)),
    declared_at_us  INTEGER NOT NULL,
    declared_day    TEXT    NOT NULL,
    stream_version  INTEGER NOT NULL,
    PRIMARY KEY (generation, need_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX needs_by_zone ON needs (generation, zone, declared_day);

-- A need referred to an executive agency, and the agency's answer once given.
CREATE TABLE referrals (
    generation      INTEGER NOT NULL,
    referral_id     TEXT    NOT NULL,
    zone            TEXT    NOT NULL,
    need_id         TEXT    NOT NULL,
    agency          TEXT    NOT NULL,
    ngo             TEXT    NOT NULL,
    member          TEXT    NOT NULL,
    referred_at_us  INTEGER NOT NULL,
    referred_day    TEXT    NOT NULL,
    answered_at_us  INTEGER,
    answered_day    TEXT,
    accepted        INTEGER CHECK (accepted IN (0, 1)),
    PRIMARY KEY (generation, referral_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE activities (
    generation      INTEGER NOT NULL,
    activity_id     TEXT    NOT NULL,
    zone            TEXT    NOT NULL,
    ngo             TEXT    NOT NULL,
    member          TEXT    NOT NULL,
    title           TEXT    NOT NULL,
    participants    INTEGER NOT NULL,
    held_on         TEXT    NOT NULL,
    reported_day    TEXT    NOT NULL,
    PRIMARY KEY (generation, activity_id)
) STRICT, WITHOUT ROWID;

-- A proposal, its decision (status, decided_day) and, for a project, its completion.
CREATE TABLE proposals (
    generation       INTEGER NOT NULL,
    proposal_id      TEXT    NOT NULL,
    zone             TEXT    NOT NULL,
    agency           TEXT    NOT NULL,
    approach         TEXT    NOT NULL CHECK (approach IN ('infrastructural', 'social')),
    title            TEXT    NOT NULL,
    budget_rials     INTEGER NOT NULL CHECK (budget_rials >= 0),
    planned_start    TEXT    NOT NULL,
    planned_end      TEXT    NOT NULL,
    late             INTEGER NOT NULL CHECK (late IN (0, 1)),
    submitted_at_us  INTEGER NOT NULL,
    submitted_day    TEXT    NOT NULL,
    stream_version   INTEGER NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    decided_day      TEXT,
    decided_version  INTEGER,
    completed_on     TEXT,
    PRIMARY KEY (generation, proposal_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX proposals_by_zone ON proposals (generation, zone, submitted_day);

-- The needs a proposal answers.
CREATE TABLE proposal_needs (
    generation   INTEGER NOT NULL,
    proposal_id  TEXT    NOT NULL,
    need_id      TEXT    NOT NULL,
    zone         TEXT    NOT NULL,
    PRIMARY KEY (generation, proposal_id, need_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE progress_reports (
    generation      INTEGER NOT NULL,
    proposal_id     TEXT    NOT NULL,
    stream_version  INTEGER NOT NULL,
    zone            TEXT    NOT NULL,
    percent         INTEGER NOT NULL CHECK (percent BETWEEN 0 AND 100),
    as_of           TEXT    NOT NULL,
    reported_day    TEXT    NOT NULL,
    PRIMARY KEY (generation, proposal_id, stream_version)
) STRICT, WITHOUT ROWID;
CREATE INDEX progress_reports_by_zone ON progress_reports (generation, zone, as_of);

CREATE TABLE supervision_reports (
    generation  INTEGER NOT NULL,
    report_id   TEXT    NOT NULL,
    ngo         TEXT    NOT NULL,
    -- '' when the report names no zone
    zone        TEXT    NOT NULL,
    rating      INTEGER NOT NULL,
    filed_day   TEXT    NOT NULL,
    PRIMARY KEY (generation, report_id)
) STRICT, WITHOUT ROWID;

-- A zone's timeline: its stream's events and the supervision reports naming it, with who
-- and what in a sentence. `position` is the JetStream stream sequence.
CREATE TABLE timeline (
    generation      INTEGER NOT NULL,
    zone            TEXT    NOT NULL,
    position        INTEGER NOT NULL,
    event_id        TEXT    NOT NULL,
    event_type      TEXT    NOT NULL,
    stream_version  INTEGER NOT NULL,
    -- the actor: kind ('programme_office', 'county_supervisor', 'ngo_member',
    -- 'agency_officer' or ''), its NGO or agency, its user or member
    actor_kind      TEXT    NOT NULL,
    actor_org       TEXT    NOT NULL,
    actor_user      TEXT    NOT NULL,
    who             TEXT    NOT NULL,
    occurred_at_us  INTEGER NOT NULL,
    recorded_at_us  INTEGER NOT NULL,
    occurred_day    TEXT    NOT NULL,
    what_en         TEXT    NOT NULL,
    what_fa         TEXT    NOT NULL,
    PRIMARY KEY (generation, zone, position)
) STRICT, WITHOUT ROWID;
