//! Ministry-approved NGOs, their members and the county's supervision of them
//! (streams `ngo.<code>`).

use super::guards::{county_supervisor, programme_office};
use super::{Outcome, Rules};
use crate::error::DomainError;
use crate::event::Event;
use crate::values::{MemberCode, Names, NgoCode, Rating, ReportId, Text, ZoneCode};
use crate::world::MemberStatus;

impl Rules<'_> {
    pub(super) fn record_approved_ngo(
        &self,
        code: &NgoCode,
        name: &Names,
        ministry_approval_ref: &Text,
    ) -> Result<Outcome, DomainError> {
        programme_office(&self.meta.actor, "record a Ministry-approved NGO")?;
        if self.world.ngos.contains_key(code) {
            return Err(DomainError::already_exists("code", "NGO", code));
        }
        let event = Event::NgoApproved {
            code: code.clone(),
            name: name.clone(),
            ministry_approval_ref: ministry_approval_ref.clone(),
        };
        Ok(Outcome::one(event, code))
    }

    pub(super) fn approve_ngo_member(
        &self,
        ngo: &NgoCode,
        member: &MemberCode,
        full_name: &Text,
    ) -> Result<Outcome, DomainError> {
        programme_office(&self.meta.actor, "approve an NGO member")?;
        let found = self.world.ngo_named(ngo, "ngo")?;
        if found.members.get(member) == Some(&MemberStatus::Approved) {
            return Err(DomainError::rule(
                "member",
                format!("member {member} of NGO {ngo} is already approved"),
            ));
        }
        let event = Event::NgoMemberApproved {
            ngo: ngo.clone(),
            member: member.clone(),
            full_name: full_name.clone(),
        };
        Ok(Outcome::one(event, member))
    }

    pub(super) fn revoke_ngo_member(
        &self,
        ngo: &NgoCode,
        member: &MemberCode,
        reason: &Text,
    ) -> Result<Outcome, DomainError> {
        programme_office(&self.meta.actor, "revoke an NGO member")?;
        let found = self.world.ngo_named(ngo, "ngo")?;
        match found.members.get(member) {
            None => return Err(DomainError::not_found("member", "member", member)),
            Some(MemberStatus::Revoked) => {
                return Err(DomainError::rule(
                    "member",
                    format!("member {member} of NGO {ngo} is already revoked"),
                ));
            }
            Some(MemberStatus::Approved) => {}
        }
        let event = Event::NgoMemberRevoked {
            ngo: ngo.clone(),
            member: member.clone(),
            reason: reason.clone(),
        };
        Ok(Outcome::one(event, member))
    }

    pub(super) fn file_supervision_report(
        &self,
        ngo: &NgoCode,
        zone: Option<&ZoneCode>,
        findings: &Text,
        rating: Rating,
    ) -> Result<Outcome, DomainError> {
        county_supervisor(&self.meta.actor, "file a supervision report")?;
        self.world.ngo_named(ngo, "ngo")?;
        if let Some(zone) = zone {
            self.world.zone_named(zone, "zone")?;
        }
        let event = Event::SupervisionReportFiled {
            report: ReportId(self.meta.submission.0),
            ngo: ngo.clone(),
            zone: zone.cloned(),
            findings: findings.clone(),
            rating,
        };
        Ok(Outcome::one(event, self.created()))
    }
}
