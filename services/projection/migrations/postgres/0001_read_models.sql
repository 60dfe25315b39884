-- Saman projection read models, PostgreSQL flavour. Keep it equivalent to
-- ../sqlite/0001_read_models.sql: the read models' SQL text is shared by both backends.
--
-- Days are ISO 8601 text ("2018-04-20": it sorts as the days do), Asia/Tehran days where a
-- day comes from an instant; instants are unix microseconds (UTC) in bigint, like on SQLite.
--
-- Every read-model row carries its `generation`: a rebuild fills generation g+1 while g is
-- served, then a promotion makes g+1 current and deletes g. The read-model tables are facts
-- taken from the events; queries aggregate them "as of" a day.

-- The generations of the read models; exactly one is current (served).
CREATE TABLE generations (
    generation  bigint PRIMARY KEY CHECK (generation >= 1),
    is_current  boolean NOT NULL,
    -- the checkpoint: the highest JetStream stream sequence applied
    position    bigint  NOT NULL DEFAULT 0 CHECK (position >= 0)
);
CREATE UNIQUE INDEX generations_one_current ON generations (is_current) WHERE is_current;

-- Every event applied (or parked after decoding), for deduplication on (stream, version):
-- JetStream's duplicate window is only minutes long.
CREATE TABLE applied (
    generation      bigint  NOT NULL,
    stream_id       text    NOT NULL,
    stream_version  bigint  NOT NULL,
    position        bigint  NOT NULL,
    PRIMARY KEY (generation, stream_id, stream_version)
);

-- Messages that could not be decoded or applied, with the reason.
CREATE TABLE parked (
    generation    bigint  NOT NULL,
    position      bigint  NOT NULL,
    subject       text    NOT NULL,
    event_id      text    NOT NULL,
    reason        text    NOT NULL,
    payload       bytea   NOT NULL,
    parked_at_us  bigint  NOT NULL,
    PRIMARY KEY (generation, position)
);

-- The latest ProgrammeDatesSet.
CREATE TABLE programme (
    generation          bigint  PRIMARY KEY,
    needs_deadline      text    NOT NULL,
    proposals_deadline  text    NOT NULL,
    operational_start   text    NOT NULL,
    goal_date           text    NOT NULL,
    stream_version      bigint  NOT NULL
);

CREATE TABLE zones (
    generation        bigint  NOT NULL,
    code              text    NOT NULL,
    name_fa           text    NOT NULL,
    name_en           text    NOT NULL,
    registered_at_us  bigint  NOT NULL,
    registered_day    text    NOT NULL,
    PRIMARY KEY (generation, code)
);

-- A zone's year-end goals, in registration order (`ordinal`).
CREATE TABLE goals (
    generation  bigint  NOT NULL,
    zone        text    NOT NULL,
    code        text    NOT NULL,
    ordinal     bigint  NOT NULL,
    approach    text    NOT NULL CHECK (approach IN ('infrastructural', 'social')),
    title_fa    text    NOT NULL,
    title_en    text    NOT NULL,
    weight      bigint  NOT NULL,
    PRIMARY KEY (generation, zone, code)
);

CREATE TABLE ngos (
    generation             bigint  NOT NULL,
    code                   text    NOT NULL,
    name_fa                text    NOT NULL,
    name_en                text    NOT NULL,
    ministry_approval_ref  text    NOT NULL,
    approved_day           text    NOT NULL,
    PRIMARY KEY (generation, code)
);

CREATE TABLE agencies (
    generation      bigint  NOT NULL,
    code            text    NOT NULL,
    name_fa         text    NOT NULL,
    name_en         text    NOT NULL,
    registered_day  text    NOT NULL,
    PRIMARY KEY (generation, code)
);

CREATE TABLE needs (
    generation      bigint  NOT NULL,
    need_id         text    NOT NULL,
    zone            text    NOT NULL,
    ngo             text    NOT NULL,
    member          text    NOT NULL,
    approach        text    NOT NULL CHECK (approach IN ('infrastructural', 'social')),
    title           text    NOT NULL,
    households      bigint  NOT NULL,
    late            boolean NOT NULL,
    declared_at_us  bigint  NOT NULL,
    declared_day    text    NOT NULL,
    stream_version  bigint  NOT NULL,
    PRIMARY KEY (generation, need_id)
);
CREATE INDEX needs_by_zone ON needs (generation, zone, declared_day);

-- A need referred to an executive agency, and the agency's answer once given.
CREATE TABLE referrals (
    generation      bigint  NOT NULL,
    referral_id     text    NOT NULL,
    zone            text    NOT NULL,
    need_id         text    NOT NULL,
    agency          text    NOT NULL,
    ngo             text    NOT NULL,
    member          text    NOT NULL,
    referred_at_us  bigint  NOT NULL,
    referred_day    text    NOT NULL,
    answered_at_us  bigint ,
    answered_day    text,
    accepted        boolean,
    PRIMARY KEY (generation, referral_id)
);

CREATE TABLE activities (
    generation      bigint  NOT NULL,
    activity_id     text    NOT NULL,
    zone            text    NOT NULL,
    ngo             text    NOT NULL,
    member          text    NOT NULL,
    title           text    NOT NULL,
    participants    bigint  NOT NULL,
    held_on         text    NOT NULL,
    reported_day    text    NOT NULL,
    PRIMARY KEY (generation, activity_id)
);

-- A proposal, its decision (status, decided_day) and, for a project, its completion.
CREATE TABLE proposals (
    generation       bigint  NOT NULL,
    proposal_id      text    NOT NULL,
    zone             text    NOT NULL,
    agency           text    NOT NULL,
    approach         text    NOT NULL CHECK (approach IN ('infrastructural', 'social')),
    title            text    NOT NULL,
    budget_rials     bigint  NOT NULL CHECK (budget_rials >= 0),
    planned_start    text    NOT NULL,
    planned_end      text    NOT NULL,
    late             boolean NOT NULL,
    submitted_at_us  bigint  NOT NULL,
    submitted_day    text    NOT NULL,
    stream_version   bigint  NOT NULL,
    status           text    NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    decided_day      text,
    decided_version  bigint ,
    completed_on     text,
    PRIMARY KEY (generation, proposal_id)
);
CREATE INDEX proposals_by_zone ON proposals (generation, zone, submitted_day);

-- The needs a proposal answers.
CREATE TABLE proposal_needs (
    generation   bigint  NOT NULL,
    proposal_id  text    NOT NULL,
    need_id      text    NOT NULL,
    zone         text    NOT NULL,
    PRIMARY KEY (generation, proposal_id, need_id)
);

CREATE TABLE progress_reports (
    generation      bigint  NOT NULL,
    proposal_id     text    NOT NULL,
    stream_version  bigint  NOT NULL,
    zone            text    NOT NULL,
    percent         bigint  NOT NULL CHECK (percent BETWEEN 0 AND 100),
    as_of           text    NOT NULL,
    reported_day    text    NOT NULL,
    PRIMARY KEY (generation, proposal_id, stream_version)
);
CREATE INDEX progress_reports_by_zone ON progress_reports (generation, zone, as_of);

CREATE TABLE supervision_reports (
    generation  bigint  NOT NULL,
    report_id   text    NOT NULL,
    ngo         text    NOT NULL,
    -- '' when the report names no zone
    zone        text    NOT NULL,
    rating      bigint  NOT NULL,
    filed_day   text    NOT NULL,
    PRIMARY KEY (generation, report_id)
);

-- A zone's timeline: its stream's events and the supervision reports naming it, with who
-- and what in a sentence. `position` is the JetStream stream sequence.
CREATE TABLE timeline (
    generation      bigint  NOT NULL,
    zone            text    NOT NULL,
    position        bigint  NOT NULL,
    event_id        text    NOT NULL,
    event_type      text    NOT NULL,
    stream_version  bigint  NOT NULL,
    -- the actor: kind ('programme_office', 'county_supervisor', 'ngo_member',
    -- 'agency_officer' or ''), its NGO or agency, its user or member
    actor_kind      text    NOT NULL,
    actor_org       text    NOT NULL,
    actor_user      text    NOT NULL,
    who             text    NOT NULL,
    occurred_at_us  bigint  NOT NULL,
    recorded_at_us  bigint  NOT NULL,
    occurred_day    text    NOT NULL,
    what_en         text    NOT NULL,
    what_fa         text    NOT NULL,
    PRIMARY KEY (generation, zone, position)
);
