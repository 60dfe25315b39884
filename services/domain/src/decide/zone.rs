//! A zone with its goals, the needs its NGOs declare, their referrals to agencies
//! and the social activities held there (streams `zone.<code>`; the proposals of the
//! same stream are in `proposal.rs`).

use super::guards::{first_registration, of_the_officers_agency, shown};
use super::{Outcome, Rules};
use crate::calendar::Day;
use crate::command::{AnswerReferral, DeclareNeed, ReferNeed, ReportSocialActivity};
use crate::error::DomainError;
use crate::event::{
    Event, NeedDeclared, NeedReferred, ReferralAnswered, SocialActivityReported, ZoneRegistered,
};
use crate::values::{ActivityId, NeedId, ReferralId};

impl Rules<'_> {
    pub(super) fn register_zone(&self, c: &ZoneRegistered) -> Result<Outcome, DomainError> {
        let registered = self.world.zones.contains_key(&c.code);
        first_registration(
            &self.meta.actor,
            "register a zone",
            registered,
            "zone",
            &c.code,
        )?;
        if c.goals.is_empty() {
            return Err(DomainError::invalid(
                "goals",
                "a zone needs at least one year-end '97 goal",
            ));
        }
        for (i, goal) in c.goals.iter().enumerate() {
            if c.goals[..i].iter().any(|g| g.code == goal.code) {
                return Err(DomainError::invalid(
                    format!("goals[{i}].code"),
                    format!("goal code '{}' is used twice", goal.code),
                ));
            }
        }
        Ok(Outcome::one(Event::ZoneRegistered(c.clone()), &c.code))
    }

    pub(super) fn declare_need(&self, c: &DeclareNeed) -> Result<Outcome, DomainError> {
        let meta = self.meta;
        let (ngo, member) = self.world.active_member(&meta.actor)?;
        self.world.zone_named(&c.zone, "zone")?;
        let dates = self.world.dates()?;
        // Judged on the receipt time unless the claimed time is vouched for.
        let late = meta.judged_at() > dates.needs_deadline.end_in_tehran();
        let event = Event::NeedDeclared(NeedDeclared {
            need: NeedId(meta.submission.0),
            zone: c.zone.clone(),
            ngo: ngo.clone(),
            member: member.clone(),
            approach: c.approach,
            title: c.title.clone(),
            description: c.description.clone(),
            households_affected: c.households_affected,
            priority: c.priority,
            late,
        });
        Ok(Outcome {
            events: vec![event],
            entity_id: self.created(),
            late,
        })
    }

    pub(super) fn refer_need(&self, c: &ReferNeed) -> Result<Outcome, DomainError> {
        let (need, agency) = (&c.need, &c.agency);
        let (ngo, member) = self.world.active_member(&self.meta.actor)?;
        let found = self.world.zone_named(&c.zone, "zone")?;
        if !found.needs.contains(&c.need) {
            return Err(self.world.missing_need(&c.zone, &c.need, "need_id"));
        }
        self.world.agency_named(&c.agency, "agency")?;
        let open = found
            .referrals
            .values()
            .any(|r| r.need == c.need && r.agency == c.agency && !r.answered);
        if open {
            return Err(DomainError::rule(
                "agency",
                format!("need {need} already has an open referral to agency {agency}"),
            ));
        }
        let event = Event::NeedReferred(NeedReferred {
            referral: ReferralId(self.meta.submission.0),
            zone: c.zone.clone(),
            need: c.need,
            agency: c.agency.clone(),
            ngo: ngo.clone(),
            member: member.clone(),
            note: c.note.clone(),
        });
        Ok(Outcome::one(event, self.created()))
    }

    pub(super) fn report_social_activity(
        &self,
        c: &ReportSocialActivity,
    ) -> Result<Outcome, DomainError> {
        let meta = self.meta;
        let (ngo, member) = self.world.active_member(&meta.actor)?;
        self.world.zone_named(&c.zone, "zone")?;
        if c.held_on > Day::in_tehran(meta.judged_at()) {
            return Err(DomainError::invalid(
                "held_on",
                format!("{} is after the report itself", shown(c.held_on)),
            ));
        }
        let event = Event::SocialActivityReported(SocialActivityReported {
            activity: ActivityId(meta.submission.0),
            zone: c.zone.clone(),
            ngo: ngo.clone(),
            member: member.clone(),
            title: c.title.clone(),
            description: c.description.clone(),
            participants: c.participants,
            held_on: c.held_on,
        });
        Ok(Outcome::one(event, self.created()))
    }

    pub(super) fn answer_referral(&self, c: &AnswerReferral) -> Result<Outcome, DomainError> {
        let referral = &c.referral;
        let agency = self.world.officer_agency(&self.meta.actor)?;
        let found = self.world.zone_named(&c.zone, "zone")?;
        let Some(referral_state) = found.referrals.get(&c.referral) else {
            return Err(DomainError::not_found(
                "referral_id",
                "referral",
                c.referral,
            ));
        };
        of_the_officers_agency(
            &format!("referral {referral} was made to"),
            &referral_state.agency,
            agency,
        )?;
        if referral_state.answered {
            return Err(DomainError::rule(
                "referral_id",
                format!("referral {referral} is already answered"),
            ));
        }
        if c.answer.is_empty() {
            return Err(DomainError::invalid("answer", "must not be empty"));
        }
        let event = Event::ReferralAnswered(ReferralAnswered {
            referral: c.referral,
            zone: c.zone.clone(),
            agency: agency.clone(),
            accepted: c.accepted,
            answer: c.answer.clone(),
        });
        Ok(Outcome::one(event, c.referral))
    }
}
