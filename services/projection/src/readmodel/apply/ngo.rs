//! An NGO's stream (its approval, its members, the supervision reports on it) and the
//! tables it writes.

use saman_contract::PublishedEvent;
use saman_domain::StreamId;
use saman_domain::values::{Names, NgoCode, Text};

use super::applier::{Applier, Changes, Meta, Refused, own_stream};
use crate::readmodel::ReadModelError;
use crate::readmodel::facts::{NgoRow, PartyRow, SupervisionRow};
use crate::readmodel::sentences;
use crate::readmodel::sql::{Param, Session, Table};

impl Applier {
    /// An event of an NGO's stream.
    pub(super) fn ngo_stream(
        &mut self,
        meta: &Meta<'_>,
        event: &PublishedEvent,
    ) -> Result<(), Refused> {
        use PublishedEvent as E;
        match event {
            E::NgoApproved {
                code,
                name,
                ministry_approval_ref,
            } => self.ngo_approved(meta, code, name, ministry_approval_ref),
            E::NgoMemberApproved { ngo, .. } | E::NgoMemberRevoked { ngo, .. } => {
                own_stream(meta, StreamId::Ngo(ngo.clone()))
            }
            E::SupervisionReportFiled {
                report,
                ngo,
                zone,
                rating,
                ..
            } => {
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
    ) -> Result<(), Refused> {
        own_stream(meta, StreamId::Ngo(code.clone()))?;
        self.changes.ngos.insert(
            code.to_string(),
            NgoRow {
                party: PartyRow {
                    code: code.to_string(),
                    name_fa: name.fa.to_string(),
                    name_en: name.en.to_string(),
                    since: meta.day,
                },
                ministry_approval_ref: ministry_approval_ref.to_string(),
            },
        );
        self.changes.all_zones = true;
        Ok(())
    }
}

/// Writes the NGOs and supervision reports of a batch.
pub(super) async fn write(
    db: &mut impl Session,
    g: i64,
    c: &Changes,
) -> Result<(), ReadModelError> {
    db.insert(g, &c.ngos.values().collect::<Vec<_>>(), "")
        .await?;
    db.insert(g, &c.supervision.values().collect::<Vec<_>>(), "")
        .await?;
    Ok(())
}

impl Table for NgoRow {
    const INSERT: &'static str =
        "ngos (generation, code, name_fa, name_en, ministry_approval_ref, approved_day)";
    const ON_CONFLICT: &'static str = " ON CONFLICT (generation, code) DO UPDATE SET \
         name_fa = excluded.name_fa, name_en = excluded.name_en, \
         ministry_approval_ref = excluded.ministry_approval_ref, \
         approved_day = excluded.approved_day";

    fn values(&self) -> Result<Vec<Param<'_>>, ReadModelError> {
        Ok(vec![
            self.party.code.as_str().into(),
            self.party.name_fa.as_str().into(),
            self.party.name_en.as_str().into(),
            self.ministry_approval_ref.as_str().into(),
            self.party.since.iso().into(),
        ])
    }
}

impl Table for SupervisionRow {
    const INSERT: &'static str =
        "supervision_reports (generation, report_id, ngo, zone, rating, filed_day)";
    const ON_CONFLICT: &'static str = " ON CONFLICT (generation, report_id) DO NOTHING";

    fn values(&self) -> Result<Vec<Param<'_>>, ReadModelError> {
        Ok(vec![
            self.report_id.as_str().into(),
            self.ngo.as_str().into(),
            self.zone.as_str().into(),
            self.rating.into(),
            self.filed_day.iso().into(),
        ])
    }
}
