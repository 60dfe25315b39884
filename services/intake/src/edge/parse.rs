//! Wire requests -> domain commands. Every field is parsed here, so nothing invalid
//! reaches the writer; each problem is reported with the request field it is in,
//! all of them at once.

use jiff::Timestamp;
use saman_domain::calendar::{self, Day};
use saman_domain::command::{self, Decision, Meta};
use saman_domain::event::{
    AgencyRegistered, Goal, NgoApproved, NgoMemberApproved, NgoMemberRevoked, ProgrammeDates,
    ZoneRegistered,
};
use saman_domain::values::*;
use saman_domain::{Actor, Command, CommandBody};
use saman_proto::events::v1 as events;
use saman_proto::intake::v1 as pb;

use saman_auth::policy::{self, Role};
use saman_auth::{Caller, gate};
use saman_domain::time::{Attestation, TimeTrust};

use crate::error::IntakeError;

/// At most this many goals per zone.
pub const MAX_GOALS: usize = 50;
/// At most this many needs one proposal answers.
pub const MAX_NEED_IDS: usize = 50;
/// At most this many goals one proposal serves.
pub const MAX_GOAL_CODES: usize = 50;

/// Collects the problems of one request.
#[derive(Default)]
pub struct Violations(Vec<(String, String)>);

impl Violations {
    /// Keeps a parsed value, or records why `field` was refused.
    pub fn field<T, E: ToString>(
        &mut self,
        field: impl Into<String>,
        parsed: Result<T, E>,
    ) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(err) => {
                self.0.push((field.into(), err.to_string()));
                None
            }
        }
    }

    fn push(&mut self, field: &str, reason: impl Into<String>) {
        self.0.push((field.into(), reason.into()));
    }

    /// Records a domain check that needs no state, so it is reported with the rest.
    fn check(&mut self, checked: Result<(), saman_domain::DomainError>) {
        if let Err(err) = checked {
            let field = err.field().to_owned();
            let reason = match err {
                saman_domain::DomainError::Invalid { reason, .. } => reason,
                other => other.to_string(),
            };
            self.0.push((field, reason));
        }
    }
}

fn required(value: &str) -> Result<Text, ValueError> {
    Text::required(value, Text::SHORT)
}

fn optional(value: &str) -> Result<Text, ValueError> {
    Text::optional(value, Text::LONG)
}

/// A day a submission names: Solar Hijri or ISO, within the accepted years.
fn day(value: &str) -> Result<Day, ValueError> {
    Day::parse_accepted(value).map_err(ValueError::from)
}

fn optional_day(value: &str) -> Result<Option<Day>, ValueError> {
    if value.trim().is_empty() {
        Ok(None)
    } else {
        day(value).map(Some)
    }
}

fn approach(value: i32) -> Result<Approach, ValueError> {
    saman_contract::approach_from_pb(value).ok_or_else(|| {
        ValueError("an approach is required: APPROACH_INFRASTRUCTURAL or APPROACH_SOCIAL".into())
    })
}

/// PRIORITY_UNSPECIFIED means "not said" and is taken as medium.
fn priority(value: i32) -> Result<Priority, ValueError> {
    match saman_contract::priority_from_pb(value) {
        Some(priority) => Ok(priority),
        None if value == events::Priority::Unspecified as i32 => Ok(Priority::Medium),
        None => Err(ValueError(format!("{value} is not a priority"))),
    }
}

fn names(v: &mut Violations, prefix: &str, fa: &str, en: &str) -> Option<Names> {
    let fa = v.field(format!("{prefix}name_fa"), required(fa));
    let en = v.field(format!("{prefix}name_en"), required(en));
    Some(Names { fa: fa?, en: en? })
}

fn actor(v: &mut Violations, actor: Option<&events::Actor>) -> Option<Actor> {
    use events::actor::Kind;
    const FIELD: &str = "submission.actor";
    let Some(kind) = actor.and_then(|a| a.kind.as_ref()) else {
        v.0.push((
            FIELD.into(),
            "the acting user is required: programme_office, county_supervisor, ngo_member or agency_officer".into(),
        ));
        return None;
    };
    match kind {
        Kind::ProgrammeOffice(o) => {
            let user = v.field("submission.actor.programme_office.user", required(&o.user))?;
            Some(Actor::ProgrammeOffice { user })
        }
        Kind::CountySupervisor(o) => {
            let user = v.field("submission.actor.county_supervisor.user", required(&o.user))?;
            Some(Actor::CountySupervisor { user })
        }
        Kind::NgoMember(m) => {
            let ngo = v.field("submission.actor.ngo_member.ngo", NgoCode::parse(&m.ngo));
            let member = v.field(
                "submission.actor.ngo_member.member",
                MemberCode::parse(&m.member),
            );
            Some(Actor::NgoMember {
                ngo: ngo?,
                member: member?,
            })
        }
        Kind::AgencyOfficer(o) => {
            let agency = v.field(
                "submission.actor.agency_officer.agency",
                AgencyCode::parse(&o.agency),
            );
            let user = v.field("submission.actor.agency_officer.user", required(&o.user));
            Some(Actor::AgencyOfficer {
                agency: agency?,
                user: user?,
            })
        }
    }
}

/// The submission's header, with the actor and the attestation already resolved (see
/// [`command`]); `now` is when intake received it.
fn meta(
    v: &mut Violations,
    submission: Option<&pb::Submission>,
    (actor, attestation): (Option<Actor>, Option<Attestation>),
    caller: Option<&Caller>,
    (now, trust): (Timestamp, &TimeTrust),
) -> Option<Meta> {
    let Some(s) = submission else {
        v.push(
            "submission",
            "the submission header (submission_id, actor) is required",
        );
        return None;
    };
    let id = v.field(
        "submission.submission_id",
        SubmissionId::parse(&s.submission_id),
    );
    let occurred_at = if s.occurred_at.trim().is_empty() {
        Some(now)
    } else {
        v.field(
            "submission.occurred_at",
            calendar::parse_accepted_instant(&s.occurred_at),
        )
    };
    let occurred_at = occurred_at?;
    Some(Meta {
        submission: id?,
        actor: actor?,
        principal: caller.map(|c| c.principal.clone()),
        expected_version: s.expected_version,
        occurred_at,
        received_at: now,
        vouch: trust.vouch(occurred_at, now, attestation),
    })
}

/// The actor a write is made as. Without authentication, the one the request names
/// (required). With a caller: the request may leave the actor out (it is then the
/// token's) or name it, and then it must be one the token may act as.
fn resolve_actor(
    v: &mut Violations,
    submission: Option<&pb::Submission>,
    caller: Option<&Caller>,
) -> Result<Option<Actor>, IntakeError> {
    let named = submission
        .and_then(|s| s.actor.as_ref())
        .filter(|a| a.kind.is_some());
    let Some(caller) = caller else {
        return Ok(actor(v, submission.and_then(|s| s.actor.as_ref())));
    };
    let Some(named) = named else {
        return match caller.actors.as_slice() {
            [only] => Ok(Some(only.clone())),
            [] => Err(IntakeError::Domain(saman_domain::DomainError::denied(
                "submission.actor",
                "the token holds no role that acts in the programme",
            ))),
            several => Err(IntakeError::Invalid(vec![(
                "submission.actor".into(),
                format!(
                    "the token may act as {}: name the one this submission is made as",
                    several
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(" or ")
                ),
            )])),
        };
    };
    let Some(named) = actor(v, Some(named)) else {
        return Ok(None);
    };
    if caller.actors.contains(&named) {
        return Ok(Some(named));
    }
    let token = match caller.actors.as_slice() {
        [] => "no actor of the programme".to_owned(),
        actors => actors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" or "),
    };
    // The token's actors only (bounded by the token's claims), not the request's.
    Err(IntakeError::Domain(saman_domain::DomainError::denied(
        "submission.actor",
        format!(
            "the request acts as another actor than its token's, {}: leave the actor out, \
             or send that actor's token",
            saman_domain::values::quote(&token)
        ),
    )))
}

/// Who attests the submission's claimed time (`Submission.attestation`), or the refusal
/// of a write its caller may not make: a caller the gate let through only to attest
/// ([`policy::Rule::attested_by`]) must attest, and only such a caller may.
fn attestation(
    v: &mut Violations,
    request: &Request,
    caller: Option<&Caller>,
) -> Result<Option<Attestation>, IntakeError> {
    const FIELD: &str = "submission.attestation";
    let sent = request.submission().and_then(|s| s.attestation.as_ref());
    let rule = policy::rule_of(&format!("/{}/{}", policy::INTAKE, request.rpc()));
    let (Some(caller), Some(rule)) = (caller, rule) else {
        return match sent {
            None => Ok(None),
            // Without a token there is nobody to record as the attester.
            Some(_) => Err(IntakeError::Domain(saman_domain::DomainError::denied(
                FIELD,
                "an attestation is made by the caller's token, and intake runs without \
                 authentication",
            ))),
        };
    };
    let Some(sent) = sent else {
        if rule.refuses_unattested(&caller.roles, false) {
            return Err(gate::not_admitted(rule, caller).into());
        }
        return Ok(None);
    };
    // The attester acts in the first role of its token that may attest this write.
    let attester = caller
        .actors
        .iter()
        .find(|a| rule.may_attest(&[role_of(a)]));
    let Some(attester) = attester else {
        let may = policy::listed(rule.attested_by);
        let may = if may.is_empty() { "nobody" } else { &may };
        return Err(IntakeError::Domain(saman_domain::DomainError::denied(
            FIELD,
            format!(
                "the time of {} may be attested by {may}, not by this token's roles",
                rule.rpc
            ),
        )));
    };
    let reason = v.field(
        "submission.attestation.reason",
        Text::required(&sent.reason, Text::LONG),
    );
    Ok(reason.map(|reason| Attestation {
        attester: attester.clone(),
        principal: Some(caller.principal.clone()),
        reason,
    }))
}

/// The programme's role an actor acts in.
fn role_of(actor: &Actor) -> Role {
    match actor {
        Actor::ProgrammeOffice { .. } => Role::ProgrammeOffice,
        Actor::CountySupervisor { .. } => Role::CountySupervisor,
        Actor::NgoMember { .. } => Role::NgoMember,
        Actor::AgencyOfficer { .. } => Role::AgencyOfficer,
    }
}

/// Parses a request into a command; `now` is when intake received it (and the default
/// `occurred_at`), `caller` the authenticated caller (`None`: authentication is off),
/// `trust` how claimed times are judged.
pub fn command(
    request: &Request,
    now: Timestamp,
    caller: Option<&Caller>,
    trust: &TimeTrust,
) -> Result<Command, IntakeError> {
    let mut v = Violations::default();
    let attestation = attestation(&mut v, request, caller)?;
    let attested = request
        .submission()
        .is_some_and(|s| s.attestation.is_some());
    let actor = if attested {
        // The attester's token enters the original actor's write: the actor it names.
        Some(actor(
            &mut v,
            request.submission().and_then(|s| s.actor.as_ref()),
        ))
    } else {
        Some(resolve_actor(&mut v, request.submission(), caller)?)
    }
    .flatten();
    let meta = meta(
        &mut v,
        request.submission(),
        (actor, attestation),
        caller,
        (now, trust),
    );
    let body = body(&mut v, request);
    match (meta, body) {
        (Some(meta), Some(body)) if v.0.is_empty() => Ok(Command { meta, body }),
        // A value that failed to parse recorded its violation on the way.
        _ => Err(IntakeError::Invalid(v.0)),
    }
}

/// Every write request of the API (the list of writes is `saman_proto::writes`), so
/// one function parses them all.
pub use saman_proto::writes::Write as Request;

/// The field of `request` that takes the most bytes: what a refusal for an event too
/// large to publish names, since making it shorter is what helps.
pub fn bulkiest_field(request: &Request) -> &'static str {
    use prost::Message;
    let fields: &[(&'static str, usize)] = match request {
        Request::SetProgrammeDates(_) => &[("needs_deadline", 0)],
        Request::RegisterZone(r) => &[
            ("goals", r.goals.iter().map(Message::encoded_len).sum()),
            ("name_fa", r.name_fa.len()),
            ("name_en", r.name_en.len()),
        ],
        Request::RegisterAgency(r) => &[("name_fa", r.name_fa.len()), ("name_en", r.name_en.len())],
        Request::RecordApprovedNgo(r) => &[
            ("name_fa", r.name_fa.len()),
            ("name_en", r.name_en.len()),
            ("ministry_approval_ref", r.ministry_approval_ref.len()),
        ],
        Request::ApproveNgoMember(r) => &[("full_name", r.full_name.len())],
        Request::RevokeNgoMember(r) => &[("reason", r.reason.len())],
        Request::DeclareNeed(r) => &[
            ("title", r.title.len()),
            ("description", r.description.len()),
        ],
        Request::ReferNeed(r) => &[("note", r.note.len())],
        Request::ReportSocialActivity(r) => &[
            ("title", r.title.len()),
            ("description", r.description.len()),
        ],
        Request::AnswerReferral(r) => &[("answer", r.answer.len())],
        Request::SubmitProposal(r) => &[
            ("need_ids", r.need_ids.iter().map(String::len).sum()),
            ("goal_codes", r.goal_codes.iter().map(String::len).sum()),
            ("title", r.title.len()),
        ],
        Request::DecideProposal(r) => &[("reason", r.reason.len())],
        Request::FileSupervisionReport(r) => &[("findings", r.findings.len())],
        Request::ReportProgress(r) => &[("note", r.note.len()), ("correction", r.correction.len())],
        Request::CompleteProject(r) => &[("note", r.note.len())],
    };
    fields
        .iter()
        .max_by_key(|(_, len)| *len)
        .map_or("submission", |(field, _)| field)
}

/// `all_of!(Variant { field: parsed, ... })`: every `parsed` (an `Option`, `None` once a bad
/// value has recorded its violation) is evaluated before any is taken, so that one refusal
/// names every bad field of a request, not only the first; then the command, or `None`.
/// The payload is the command struct of the same name, or the one named in parentheses
/// (`all_of!(RegisterAgency(AgencyRegistered) { ... })`, a command that holds its event).
macro_rules! all_of {
    ($command:ident { $($field:ident: $parsed:expr),+ $(,)? }) => {
        all_of!($command(command::$command) { $($field: $parsed),+ })
    };
    ($command:ident($($payload:ident)::+) { $($field:ident: $parsed:expr),+ $(,)? }) => {{
        $(let $field = $parsed;)+
        CommandBody::$command($($payload)::+ { $($field: $field?),+ })
    }};
}

/// A proposal's list `field`, each item parsed and named by its index, at most `max` of
/// them (`what` it lists and what the proposal `does` with them, for the refusal: "51
/// needs; a proposal answers at most 50"). `None` once any is refused.
fn listed<T, E: ToString>(
    v: &mut Violations,
    field: &str,
    items: &[String],
    (max, what, does): (usize, &str, &str),
    parse: impl Fn(&str) -> Result<T, E>,
) -> Option<Vec<T>> {
    if items.len() > max {
        v.push(
            field,
            format!("{} {what}; a proposal {does} at most {max}", items.len()),
        );
        return None;
    }
    let parsed: Vec<Option<T>> = items
        .iter()
        .enumerate()
        .map(|(i, item)| v.field(format!("{field}[{i}]"), parse(item)))
        .collect();
    parsed.into_iter().collect()
}

fn body(v: &mut Violations, request: &Request) -> Option<CommandBody> {
    Some(match request {
        Request::SetProgrammeDates(r) => {
            let needs_deadline = v.field("needs_deadline", day(&r.needs_deadline));
            let proposals_deadline = v.field("proposals_deadline", day(&r.proposals_deadline));
            let operational_start = v.field("operational_start", day(&r.operational_start));
            let goal_date = v.field("goal_date", day(&r.goal_date));
            let dates = ProgrammeDates {
                needs_deadline: needs_deadline?,
                proposals_deadline: proposals_deadline?,
                operational_start: operational_start?,
                goal_date: goal_date?,
            };
            v.check(saman_domain::decide::check_dates(&dates));
            CommandBody::SetProgrammeDates(dates)
        }
        Request::RegisterZone(r) => {
            let code = v.field("code", ZoneCode::parse(&r.code));
            let name = names(v, "", &r.name_fa, &r.name_en);
            let goals: Vec<Option<Goal>> = if r.goals.len() > MAX_GOALS {
                v.push(
                    "goals",
                    format!("{} goals; a zone has at most {MAX_GOALS}", r.goals.len()),
                );
                vec![None]
            } else {
                r.goals
                    .iter()
                    .enumerate()
                    .map(|(i, g)| {
                        let code = v.field(format!("goals[{i}].code"), GoalCode::parse(&g.code));
                        let approach =
                            v.field(format!("goals[{i}].approach"), approach(g.approach));
                        let title_fa =
                            v.field(format!("goals[{i}].title_fa"), required(&g.title_fa));
                        let title_en =
                            v.field(format!("goals[{i}].title_en"), required(&g.title_en));
                        let weight = v.field(format!("goals[{i}].weight"), Weight::parse(g.weight));
                        Some(Goal {
                            code: code?,
                            approach: approach?,
                            title: Names {
                                fa: title_fa?,
                                en: title_en?,
                            },
                            weight: weight?,
                        })
                    })
                    .collect()
            };
            CommandBody::RegisterZone(ZoneRegistered {
                code: code?,
                name: name?,
                goals: goals.into_iter().collect::<Option<_>>()?,
            })
        }
        Request::RegisterAgency(r) => all_of!(RegisterAgency(AgencyRegistered) {
            code: v.field("code", AgencyCode::parse(&r.code)),
            name: names(v, "", &r.name_fa, &r.name_en),
        }),
        Request::RecordApprovedNgo(r) => all_of!(RecordApprovedNgo(NgoApproved) {
            code: v.field("code", NgoCode::parse(&r.code)),
            name: names(v, "", &r.name_fa, &r.name_en),
            ministry_approval_ref: v
                .field("ministry_approval_ref", required(&r.ministry_approval_ref)),
        }),
        Request::ApproveNgoMember(r) => all_of!(ApproveNgoMember(NgoMemberApproved) {
            ngo: v.field("ngo", NgoCode::parse(&r.ngo)),
            member: v.field("member", MemberCode::parse(&r.member)),
            full_name: v.field("full_name", required(&r.full_name)),
        }),
        Request::RevokeNgoMember(r) => all_of!(RevokeNgoMember(NgoMemberRevoked) {
            ngo: v.field("ngo", NgoCode::parse(&r.ngo)),
            member: v.field("member", MemberCode::parse(&r.member)),
            reason: v.field("reason", required(&r.reason)),
        }),
        Request::DeclareNeed(r) => all_of!(DeclareNeed {
            zone: v.field("zone", ZoneCode::parse(&r.zone)),
            approach: v.field("approach", approach(r.approach)),
            title: v.field("title", required(&r.title)),
            description: v.field("description", optional(&r.description)),
            households_affected: v
                .field("households_affected", Count::parse(r.households_affected)),
            priority: v.field("priority", priority(r.priority)),
        }),
        Request::ReferNeed(r) => all_of!(ReferNeed {
            zone: v.field("zone", ZoneCode::parse(&r.zone)),
            need: v.field("need_id", NeedId::parse(&r.need_id)),
            agency: v.field("agency", AgencyCode::parse(&r.agency)),
            note: v.field("note", optional(&r.note)),
        }),
        Request::ReportSocialActivity(r) => all_of!(ReportSocialActivity {
            zone: v.field("zone", ZoneCode::parse(&r.zone)),
            title: v.field("title", required(&r.title)),
            description: v.field("description", optional(&r.description)),
            participants: v.field("participants", Count::parse(r.participants)),
            held_on: v.field("held_on", day(&r.held_on)),
        }),
        Request::AnswerReferral(r) => all_of!(AnswerReferral {
            zone: v.field("zone", ZoneCode::parse(&r.zone)),
            referral: v.field("referral_id", ReferralId::parse(&r.referral_id)),
            accepted: Some(r.accepted),
            answer: v.field("answer", Text::required(&r.answer, Text::LONG)),
        }),
        Request::SubmitProposal(r) => {
            let zone = v.field("zone", ZoneCode::parse(&r.zone));
            let needs = listed(
                v,
                "need_ids",
                &r.need_ids,
                (MAX_NEED_IDS, "needs", "answers"),
                NeedId::parse,
            );
            let goals = listed(
                v,
                "goal_codes",
                &r.goal_codes,
                (MAX_GOAL_CODES, "goals", "serves"),
                GoalCode::parse,
            );
            let approach = v.field("approach", approach(r.approach));
            let title = v.field("title", required(&r.title));
            let budget = v.field("budget_rials", Rials::parse(r.budget_rials));
            let start = v.field("planned_start", day(&r.planned_start));
            let end = v.field("planned_end", day(&r.planned_end));
            if r.need_ids.is_empty() {
                v.push("need_ids", "a proposal answers at least one declared need");
            }
            if let (Some(start), Some(end)) = (start, end) {
                v.check(saman_domain::decide::check_plan(start, end));
            }
            CommandBody::SubmitProposal(command::SubmitProposal {
                zone: zone?,
                needs: needs?,
                approach: approach?,
                title: title?,
                budget: budget?,
                planned_start: start?,
                planned_end: end?,
                goals: goals?,
            })
        }
        Request::DecideProposal(r) => {
            let zone = v.field("zone", ZoneCode::parse(&r.zone));
            let proposal = v.field("proposal_id", ProposalId::parse(&r.proposal_id));
            let reason = v.field("reason", optional(&r.reason));
            let decision = match pb::Decision::try_from(r.decision) {
                Ok(pb::Decision::Approve) => reason.map(|reason| Decision::Approve { reason }),
                Ok(pb::Decision::Reject) => match reason {
                    Some(reason) if reason.is_empty() => {
                        v.push("reason", "a rejection needs a reason");
                        None
                    }
                    reason => reason.map(|reason| Decision::Reject { reason }),
                },
                _ => {
                    v.push(
                        "decision",
                        "a decision is required: DECISION_APPROVE or DECISION_REJECT",
                    );
                    None
                }
            };
            CommandBody::DecideProposal(command::DecideProposal {
                zone: zone?,
                proposal: proposal?,
                decision: decision?,
            })
        }
        Request::FileSupervisionReport(r) => {
            let ngo = v.field("ngo", NgoCode::parse(&r.ngo));
            let zone = if r.zone.trim().is_empty() {
                Some(None)
            } else {
                v.field("zone", ZoneCode::parse(&r.zone)).map(Some)
            };
            let findings = v.field("findings", Text::required(&r.findings, Text::LONG));
            let rating = v.field("rating", Rating::parse(r.rating));
            CommandBody::FileSupervisionReport(command::FileSupervisionReport {
                ngo: ngo?,
                zone: zone?,
                findings: findings?,
                rating: rating?,
            })
        }
        Request::ReportProgress(r) => all_of!(ReportProgress {
            zone: v.field("zone", ZoneCode::parse(&r.zone)),
            proposal: v.field("proposal_id", ProposalId::parse(&r.proposal_id)),
            percent: v.field("percent", Percent::parse(r.percent)),
            note: v.field("note", optional(&r.note)),
            as_of: v.field("as_of", optional_day(&r.as_of)),
            correction: v.field("correction", optional(&r.correction)),
        }),
        Request::CompleteProject(r) => all_of!(CompleteProject {
            zone: v.field("zone", ZoneCode::parse(&r.zone)),
            proposal: v.field("proposal_id", ProposalId::parse(&r.proposal_id)),
            completed_on: v.field("completed_on", optional_day(&r.completed_on)),
            note: v.field("note", optional(&r.note)),
        }),
    })
}
