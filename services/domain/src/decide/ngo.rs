//! Ministry-approved NGOs, their members and the county's supervision of them
//! (streams `ngo.<code>`).

use super::guards::{county_supervisor, first_registration, programme_office};
use super::{Outcome, Rules};
use crate::command::FileSupervisionReport;
use crate::error::DomainError;
use crate::event::{
    Event, NgoApproved, NgoMemberApproved, NgoMemberRevoked, SupervisionReportFiled,
};
use crate::values::ReportId;
use crate::world::MemberStatus;

impl Rules<'_> {
    pub(super) fn record_approved_ngo(&self, c: &NgoApproved) -> Result<Outcome, DomainError> {
        let registered = self.world.ngos.contains_key(&c.code);
        first_registration(
            &self.meta.actor,
            "record a Ministry-approved NGO",
            registered,
            "NGO",
            &c.code,
        )?;
        Ok(Outcome::one(Event::NgoApproved(c.clone()), &c.code))
    }

    pub(super) fn approve_ngo_member(&self, c: &NgoMemberApproved) -> Result<Outcome, DomainError> {
        let (ngo, member) = (&c.ngo, &c.member);
        programme_office(&self.meta.actor, "approve an NGO member")?;
        let found = self.world.ngo_named(ngo, "ngo")?;
        if found.members.get(member) == Some(&MemberStatus::Approved) {
            return Err(DomainError::rule(
                "member",
                format!("member {member} of NGO {ngo} is already approved"),
            ));
        }
        Ok(Outcome::one(Event::NgoMemberApproved(c.clone()), member))
    }

    pub(super) fn revoke_ngo_member(&self, c: &NgoMemberRevoked) -> Result<Outcome, DomainError> {
        let (ngo, member) = (&c.ngo, &c.member);
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
        Ok(Outcome::one(Event::NgoMemberRevoked(c.clone()), member))
    }

    pub(super) fn file_supervision_report(
        &self,
        c: &FileSupervisionReport,
    ) -> Result<Outcome, DomainError> {
        county_supervisor(&self.meta.actor, "file a supervision report")?;
        self.world.ngo_named(&c.ngo, "ngo")?;
        if let Some(zone) = &c.zone {
            self.world.zone_named(zone, "zone")?;
        }
        let event = Event::SupervisionReportFiled(SupervisionReportFiled {
            report: ReportId(self.meta.submission.0),
            ngo: c.ngo.clone(),
            zone: c.zone.clone(),
            findings: c.findings.clone(),
            rating: c.rating,
        });
        Ok(Outcome::one(event, self.created()))
    }
}
