//! The read-model tables, for what treats them all alike: deleting a generation and
//! dumping one. Keep in step with `migrations/*/`.

/// How a column is read for a dump.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Text,
    Int,
    Bool,
    Blob,
}

use Kind::{Blob, Bool, Int, Text};

/// Every table with a `generation` column (but `generations` itself), with the columns a
/// dump shows: all but `generation` and the wall-clock `parked.parked_at_us`.
pub(super) const TABLES: &[(&str, &[(&str, Kind)])] = &[
    (
        "programme",
        &[
            ("needs_deadline", Text),
            ("proposals_deadline", Text),
            ("operational_start", Text),
            ("goal_date", Text),
            ("stream_version", Int),
        ],
    ),
    (
        "zones",
        &[
            ("code", Text),
            ("name_fa", Text),
            ("name_en", Text),
            ("registered_at_us", Int),
            ("registered_day", Text),
        ],
    ),
    (
        "goals",
        &[
            ("zone", Text),
            ("code", Text),
            ("ordinal", Int),
            ("approach", Text),
            ("title_fa", Text),
            ("title_en", Text),
            ("weight", Int),
        ],
    ),
    (
        "ngos",
        &[
            ("code", Text),
            ("name_fa", Text),
            ("name_en", Text),
            ("ministry_approval_ref", Text),
            ("approved_day", Text),
        ],
    ),
    (
        "agencies",
        &[
            ("code", Text),
            ("name_fa", Text),
            ("name_en", Text),
            ("registered_day", Text),
        ],
    ),
    (
        "needs",
        &[
            ("need_id", Text),
            ("zone", Text),
            ("ngo", Text),
            ("member", Text),
            ("approach", Text),
            ("title", Text),
            ("households", Int),
            ("late", Bool),
            ("declared_at_us", Int),
            ("declared_day", Text),
            ("stream_version", Int),
        ],
    ),
    (
        "referrals",
        &[
            ("referral_id", Text),
            ("zone", Text),
            ("need_id", Text),
            ("agency", Text),
            ("ngo", Text),
            ("member", Text),
            ("referred_at_us", Int),
            ("referred_day", Text),
            ("answered_at_us", Int),
            ("answered_day", Text),
            ("accepted", Bool),
        ],
    ),
    (
        "activities",
        &[
            ("activity_id", Text),
            ("zone", Text),
            ("ngo", Text),
            ("member", Text),
            ("title", Text),
            ("participants", Int),
            ("held_on", Text),
            ("reported_day", Text),
        ],
    ),
    (
        "proposals",
        &[
            ("proposal_id", Text),
            ("zone", Text),
            ("agency", Text),
            ("approach", Text),
            ("title", Text),
            ("budget_rials", Int),
            ("planned_start", Text),
            ("planned_end", Text),
            ("late", Bool),
            ("submitted_at_us", Int),
            ("submitted_day", Text),
            ("stream_version", Int),
            ("status", Text),
            ("decided_day", Text),
            ("decided_version", Int),
            ("completed_on", Text),
        ],
    ),
    (
        "proposal_needs",
        &[("proposal_id", Text), ("need_id", Text), ("zone", Text)],
    ),
    (
        "progress_reports",
        &[
            ("proposal_id", Text),
            ("stream_version", Int),
            ("zone", Text),
            ("percent", Int),
            ("as_of", Text),
            ("reported_day", Text),
        ],
    ),
    (
        "supervision_reports",
        &[
            ("report_id", Text),
            ("ngo", Text),
            ("zone", Text),
            ("rating", Int),
            ("filed_day", Text),
        ],
    ),
    (
        "timeline",
        &[
            ("zone", Text),
            ("position", Int),
            ("event_id", Text),
            ("event_type", Text),
            ("stream_version", Int),
            ("actor_kind", Text),
            ("actor_org", Text),
            ("actor_user", Text),
            ("who", Text),
            ("occurred_at_us", Int),
            ("recorded_at_us", Int),
            ("occurred_day", Text),
            ("what_en", Text),
            ("what_fa", Text),
        ],
    ),
    (
        "applied",
        &[
            ("stream_id", Text),
            ("stream_version", Int),
            ("position", Int),
            ("event_id", Text),
        ],
    ),
    (
        "parked",
        &[
            ("position", Int),
            ("kind", Text),
            ("subject", Text),
            ("event_id", Text),
            ("reason", Text),
            ("payload", Blob),
        ],
    ),
];
