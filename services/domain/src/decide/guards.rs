//! What many rules check alike: the submission's time and expected version, who may
//! act (roles, active members, officers of registered agencies), and the lookups that
//! answer "not registered".

use jiff::{SignedDuration, Timestamp};

use crate::actor::Actor;
use crate::calendar::Day;
use crate::command::Meta;
use crate::error::DomainError;
use crate::event::ProgrammeDates;
use crate::stream::StreamId;
use crate::values::{AgencyCode, MemberCode, NeedId, NgoCode, ZoneCode};
use crate::world::{MemberStatus, Ngo, World, Zone};

/// How far in the future an `occurred_at` may be, for clocks that disagree a little.
const CLOCK_SKEW: SignedDuration = SignedDuration::from_mins(5);

pub(super) const ACTOR: &str = "submission.actor";
const ACTOR_NGO: &str = "submission.actor.ngo_member.ngo";
const ACTOR_MEMBER: &str = "submission.actor.ngo_member.member";
pub(super) const ACTOR_AGENCY: &str = "submission.actor.agency_officer.agency";

/// A day as people here read it: Solar Hijri first, ISO in brackets.
pub(super) fn shown(day: Day) -> String {
    format!("{} ({})", day.solar_hijri_string(), day.iso())
}

/// The act happened at most [`CLOCK_SKEW`] after `now`.
pub(super) fn not_in_the_future(meta: &Meta, now: Timestamp) -> Result<(), DomainError> {
    if meta.occurred_at > now + CLOCK_SKEW {
        return Err(DomainError::invalid(
            "submission.occurred_at",
            format!(
                "{} ({} in Tehran) is in the future",
                meta.occurred_at,
                shown(Day::in_tehran(meta.occurred_at))
            ),
        ));
    }
    Ok(())
}

/// The stream is still at the version the client saw, when it said one.
pub(super) fn expected_version(
    meta: &Meta,
    stream: &StreamId,
    current: u64,
) -> Result<(), DomainError> {
    match meta.expected_version {
        Some(expected) if expected != current => Err(DomainError::VersionConflict {
            stream: stream.to_string(),
            expected,
            actual: current,
        }),
        _ => Ok(()),
    }
}

pub(super) fn programme_office(actor: &Actor, act: &str) -> Result<(), DomainError> {
    only_the(
        "programme office",
        matches!(actor, Actor::ProgrammeOffice { .. }),
        actor,
        act,
    )
}

pub(super) fn county_supervisor(actor: &Actor, act: &str) -> Result<(), DomainError> {
    only_the(
        "county supervisor",
        matches!(actor, Actor::CountySupervisor { .. }),
        actor,
        act,
    )
}

/// The programme office registers `what` under `code` (field `code`) for the first time.
pub(super) fn first_registration(
    actor: &Actor,
    act: &str,
    registered: bool,
    what: &'static str,
    code: &impl std::fmt::Display,
) -> Result<(), DomainError> {
    programme_office(actor, act)?;
    if registered {
        return Err(DomainError::already_exists("code", what, code));
    }
    Ok(())
}

/// What `thing` names (a referral made to an agency, a proposal submitted by one) is
/// the acting officer's agency's: `owner`, seen from `agency`.
pub(super) fn of_the_officers_agency(
    thing: &str,
    owner: &AgencyCode,
    agency: &AgencyCode,
) -> Result<(), DomainError> {
    if owner != agency {
        return Err(DomainError::denied(
            ACTOR_AGENCY,
            format!("{thing} agency {owner}, not {agency}"),
        ));
    }
    Ok(())
}

/// Only the `role` may `act`; `is_role`: the actor is in it.
fn only_the(role: &str, is_role: bool, actor: &Actor, act: &str) -> Result<(), DomainError> {
    if is_role {
        return Ok(());
    }
    Err(DomainError::denied(
        ACTOR,
        format!("only the {role} may {act}, not the {}", actor.role()),
    ))
}

impl World {
    pub(super) fn dates(&self) -> Result<&ProgrammeDates, DomainError> {
        self.programme.as_ref().ok_or_else(|| {
            // Lateness is judged on the submission's time against the programme's
            // deadlines; the field is the one the missing dates would judge.
            DomainError::rule(
                "submission.occurred_at",
                "the programme's dates are not set yet, so this cannot be judged on time or \
                 late: the programme office sets them first (SetProgrammeDates)",
            )
        })
    }

    pub(super) fn zone_named(&self, code: &ZoneCode, field: &str) -> Result<&Zone, DomainError> {
        self.zones
            .get(code)
            .ok_or_else(|| DomainError::not_found(field, "zone", code))
    }

    pub(super) fn ngo_named(&self, code: &NgoCode, field: &str) -> Result<&Ngo, DomainError> {
        self.ngos
            .get(code)
            .ok_or_else(|| DomainError::not_found(field, "Ministry-approved NGO", code))
    }

    pub(super) fn agency_named(&self, code: &AgencyCode, field: &str) -> Result<(), DomainError> {
        if self.agencies.contains_key(code) {
            Ok(())
        } else {
            Err(DomainError::not_found(field, "agency", code))
        }
    }

    /// A need that is not in `zone`: in another zone it breaks "a proposal answers
    /// needs of its own zone"; nowhere, it is unknown.
    pub(super) fn missing_need(&self, zone: &ZoneCode, need: &NeedId, field: &str) -> DomainError {
        match self.need_zones.get(need) {
            Some(other) if other != zone => DomainError::rule(
                field,
                format!("need {need} belongs to zone {other}, not {zone}"),
            ),
            _ => DomainError::not_found(field, "need", need),
        }
    }

    /// Only approved (not revoked) members of Ministry-approved NGOs act for an NGO.
    pub(super) fn active_member<'a>(
        &self,
        actor: &'a Actor,
    ) -> Result<(&'a NgoCode, &'a MemberCode), DomainError> {
        let Actor::NgoMember { ngo, member } = actor else {
            return Err(DomainError::denied(
                ACTOR,
                format!("only an NGO member may do this, not the {}", actor.role()),
            ));
        };
        let found = self.ngo_named(ngo, ACTOR_NGO)?;
        match found.members.get(member) {
            None => Err(DomainError::not_found(
                ACTOR_MEMBER,
                "member",
                format!("{ngo}/{member}"),
            )),
            Some(MemberStatus::Revoked) => Err(DomainError::denied(
                ACTOR_MEMBER,
                format!("member {member} of NGO {ngo} has been revoked"),
            )),
            Some(MemberStatus::Approved) => Ok((ngo, member)),
        }
    }

    /// The agency of an officer acting for a registered agency.
    pub(super) fn officer_agency<'a>(
        &self,
        actor: &'a Actor,
    ) -> Result<&'a AgencyCode, DomainError> {
        let Actor::AgencyOfficer { agency, .. } = actor else {
            return Err(DomainError::denied(
                ACTOR,
                format!(
                    "only an executive agency may do this, not the {}",
                    actor.role()
                ),
            ));
        };
        self.agency_named(agency, ACTOR_AGENCY)?;
        Ok(agency)
    }
}
