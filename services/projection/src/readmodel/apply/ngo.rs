//! An NGO's stream: its approval, its members, the supervision reports on it.

use saman_contract::PublishedEvent;
use saman_domain::StreamId;
use saman_domain::event::{
    NgoApproved, NgoMemberApproved, NgoMemberRevoked, SupervisionReportFiled,
};
use saman_domain::values::{MemberCode, Names, NgoCode, Text};

use super::applier::{Applied, Applier, Meta, own_stream};
use crate::readmodel::facts::{MemberChangeRow, NgoRow, SupervisionRow};
use crate::readmodel::sentences;

impl Applier {
    /// An event of an NGO's stream.
    pub(super) fn ngo_stream(&mut self, meta: &Meta<'_>, event: &PublishedEvent) -> Applied {
        use PublishedEvent as E;
        match event {
            E::NgoApproved(NgoApproved {
                code,
                name,
                ministry_approval_ref,
            }) => self.ngo_approved(meta, code, name, ministry_approval_ref),
            E::NgoMemberApproved(NgoMemberApproved {
                ngo,
                member,
                full_name,
            }) => self.member_changed(meta, ngo, member, Ok(full_name)),
            E::NgoMemberRevoked(NgoMemberRevoked {
                ngo,
                member,
                reason,
            }) => self.member_changed(meta, ngo, member, Err(reason)),
            E::SupervisionReportFiled(SupervisionReportFiled {
                report,
                ngo,
                zone,
                rating,
                findings,
            }) => {
                own_stream(meta, StreamId::Ngo(ngo.clone()))?;
                self.changes
                    .supervision
                    .entry(report.clone())
                    .or_insert_with(|| SupervisionRow {
                        report_id: report.clone(),
                        ngo: ngo.to_string(),
                        zone: zone.as_ref().map(ToString::to_string).unwrap_or_default(),
                        rating: u32::from(rating.get()),
                        filed_day: meta.day,
                        findings: findings.to_string(),
                        stream_version: meta.published.version,
                    });
                // The zone is another stream: it may not have arrived yet, so it is not checked.
                if let Some(zone) = zone {
                    let what = sentences::supervision_filed(
                        &meta.who,
                        ngo,
                        rating.get(),
                        &self.known.names,
                    );
                    self.timeline(meta, zone, what);
                }
                Ok(())
            }
            _ => unreachable!("ngo_stream of another stream's event"),
        }
    }

    /// A member approved (`Ok(full name)`) or revoked (`Err(reason)`).
    fn member_changed(
        &mut self,
        meta: &Meta<'_>,
        ngo: &NgoCode,
        member: &MemberCode,
        change: Result<&Text, &Text>,
    ) -> Applied {
        own_stream(meta, StreamId::Ngo(ngo.clone()))?;
        let key = (ngo.to_string(), member.to_string());
        match change {
            Ok(name) => self.known.names.members.insert(key, name.to_string()),
            Err(_) => None,
        };
        let (full_name, reason) = match change {
            Ok(name) => (name.to_string(), String::new()),
            Err(reason) => (String::new(), reason.to_string()),
        };
        self.changes.members.push(MemberChangeRow {
            ngo: ngo.to_string(),
            stream_version: meta.published.version,
            member: member.to_string(),
            approved: change.is_ok(),
            full_name,
            reason,
            changed_day: meta.day,
        });
        Ok(())
    }

    fn ngo_approved(
        &mut self,
        meta: &Meta<'_>,
        code: &NgoCode,
        name: &Names,
        ministry_approval_ref: &Text,
    ) -> Applied {
        own_stream(meta, StreamId::Ngo(code.clone()))?;
        self.known
            .names
            .ngos
            .insert(code.to_string(), (name.fa.to_string(), name.en.to_string()));
        self.changes.ngos.insert(
            code.to_string(),
            NgoRow {
                code: code.to_string(),
                name_fa: name.fa.to_string(),
                name_en: name.en.to_string(),
                ministry_approval_ref: ministry_approval_ref.to_string(),
                approved_day: meta.day,
            },
        );
        self.changes.all_zones = true;
        Ok(())
    }
}
