//! A zone with its goals, the needs its NGOs declare, their referrals to agencies
//! and the social activities held there (streams `zone.<code>`; the proposals of the
//! same stream are in `proposal.rs`).

use super::guards::{ACTOR_AGENCY, programme_office, shown};
use super::{Outcome, Rules};
use crate::calendar::Day;
use crate::error::DomainError;
use crate::event::{Event, Goal};
use crate::values::{
    ActivityId, AgencyCode, Approach, Count, Names, NeedId, Priority, ReferralId, Text, ZoneCode,
};

impl Rules<'_> {
    pub(super) fn register_zone(
        &self,
        code: &ZoneCode,
        name: &Names,
        goals: &[Goal],
    ) -> Result<Outcome, DomainError> {
        programme_office(&self.meta.actor, "register a zone")?;
        if self.world.zones.contains_key(code) {
            return Err(DomainError::already_exists("code", "zone", code));
        }
        if goals.is_empty() {
            return Err(DomainError::invalid(
                "goals",
                "a zone needs at least one year-end '97 goal",
            ));
        }
        for (i, goal) in goals.iter().enumerate() {
            if goals[..i].iter().any(|g| g.code == goal.code) {
                return Err(DomainError::invalid(
                    format!("goals[{i}].code"),
                    format!("goal code '{}' is used twice", goal.code),
                ));
            }
        }
        let event = Event::ZoneRegistered {
            code: code.clone(),
            name: name.clone(),
            goals: goals.to_vec(),
        };
        Ok(Outcome::one(event, code))
    }

    pub(super) fn declare_need(
        &self,
        zone: &ZoneCode,
        approach: Approach,
        title: &Text,
        description: &Text,
        households_affected: Count,
        priority: Priority,
    ) -> Result<Outcome, DomainError> {
        let meta = self.meta;
        let (ngo, member) = self.world.active_member(&meta.actor)?;
        self.world.zone_named(zone, "zone")?;
        let dates = self.world.dates()?;
        // Judged on the receipt time unless the claimed time is vouched for.
        let late = meta.judged_at() > dates.needs_deadline.end_in_tehran();
        let event = Event::NeedDeclared {
            need: NeedId(meta.submission.0),
            zone: zone.clone(),
            ngo: ngo.clone(),
            member: member.clone(),
            approach,
            title: title.clone(),
            description: description.clone(),
            households_affected,
            priority,
            late,
        };
        Ok(Outcome {
            events: vec![event],
            entity_id: self.created(),
            late,
        })
    }

    pub(super) fn refer_need(
        &self,
        zone: &ZoneCode,
        need: &NeedId,
        agency: &AgencyCode,
        note: &Text,
    ) -> Result<Outcome, DomainError> {
        let (ngo, member) = self.world.active_member(&self.meta.actor)?;
        let found = self.world.zone_named(zone, "zone")?;
        if !found.needs.contains(need) {
            return Err(self.world.missing_need(zone, need, "need_id"));
        }
        self.world.agency_named(agency, "agency")?;
        let open = found
            .referrals
            .values()
            .any(|r| r.need == *need && r.agency == *agency && !r.answered);
        if open {
            return Err(DomainError::rule(
                "agency",
                format!("need {need} already has an open referral to agency {agency}"),
            ));
        }
        let event = Event::NeedReferred {
            referral: ReferralId(self.meta.submission.0),
            zone: zone.clone(),
            need: *need,
            agency: agency.clone(),
            ngo: ngo.clone(),
            member: member.clone(),
            note: note.clone(),
        };
        Ok(Outcome::one(event, self.created()))
    }

    pub(super) fn report_social_activity(
        &self,
        zone: &ZoneCode,
        title: &Text,
        description: &Text,
        participants: Count,
        held_on: Day,
    ) -> Result<Outcome, DomainError> {
        let meta = self.meta;
        let (ngo, member) = self.world.active_member(&meta.actor)?;
        self.world.zone_named(zone, "zone")?;
        if held_on > Day::in_tehran(meta.judged_at()) {
            return Err(DomainError::invalid(
                "held_on",
                format!("{} is after the report itself", shown(held_on)),
            ));
        }
        let event = Event::SocialActivityReported {
            activity: ActivityId(meta.submission.0),
            zone: zone.clone(),
            ngo: ngo.clone(),
            member: member.clone(),
            title: title.clone(),
            description: description.clone(),
            participants,
            held_on,
        };
        Ok(Outcome::one(event, self.created()))
    }

    pub(super) fn answer_referral(
        &self,
        zone: &ZoneCode,
        referral: &ReferralId,
        accepted: bool,
        answer: &Text,
    ) -> Result<Outcome, DomainError> {
        let agency = self.world.officer_agency(&self.meta.actor)?;
        let found = self.world.zone_named(zone, "zone")?;
        let Some(referral_state) = found.referrals.get(referral) else {
            return Err(DomainError::not_found("referral_id", "referral", referral));
        };
        if referral_state.agency != *agency {
            return Err(DomainError::denied(
                ACTOR_AGENCY,
                format!(
                    "referral {referral} was made to agency {}, not {agency}",
                    referral_state.agency
                ),
            ));
        }
        if referral_state.answered {
            return Err(DomainError::rule(
                "referral_id",
                format!("referral {referral} is already answered"),
            ));
        }
        if answer.is_empty() {
            return Err(DomainError::invalid("answer", "must not be empty"));
        }
        let event = Event::ReferralAnswered {
            referral: *referral,
            zone: zone.clone(),
            agency: agency.clone(),
            accepted,
            answer: answer.clone(),
        };
        Ok(Outcome::one(event, referral))
    }
}
