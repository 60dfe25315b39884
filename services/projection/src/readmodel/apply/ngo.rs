//! An NGO's stream: its approval, its members, the supervision reports on it.

use saman_contract::PublishedEvent;
use saman_domain::StreamId;
use saman_domain::event::{
    NgoApproved, NgoMemberApproved, NgoMemberRevoked, SupervisionReportFiled,
};
use saman_domain::values::{Names, NgoCode, Text};

use super::applier::{Applied, Applier, Meta, own_stream};
use crate::readmodel::facts::{NgoRow, SupervisionRow};
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
            E::NgoMemberApproved(NgoMemberApproved { ngo, .. })
            | E::NgoMemberRevoked(NgoMemberRevoked { ngo, .. }) => {
                own_stream(meta, StreamId::Ngo(ngo.clone()))
            }
            E::SupervisionReportFiled(SupervisionReportFiled {
                report,
                ngo,
                zone,
                rating,
                ..
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
                    });
                // The zone is another stream: it may not have arrived yet, so it is not checked.
                if let Some(zone) = zone {
                    let what = sentences::supervision_filed(&meta.who, ngo, rating.get());
                    self.timeline(meta, zone, what);
                }
                Ok(())
            }
            _ => unreachable!("ngo_stream of another stream's event"),
        }
    }

    fn ngo_approved(
        &mut self,
        meta: &Meta<'_>,
        code: &NgoCode,
        name: &Names,
        ministry_approval_ref: &Text,
    ) -> Applied {
        own_stream(meta, StreamId::Ngo(code.clone()))?;
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
