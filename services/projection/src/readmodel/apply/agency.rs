//! An agency's stream (its registration) and the table it writes.

use saman_domain::StreamId;
use saman_domain::values::{AgencyCode, Names};

use super::applier::{Applier, Changes, Meta, Refused, own_stream};
use crate::readmodel::ReadModelError;
use crate::readmodel::facts::PartyRow;
use crate::readmodel::sql::{Param, Session, Table};

impl Applier {
    pub(super) fn agency_registered(
        &mut self,
        meta: &Meta<'_>,
        code: &AgencyCode,
        name: &Names,
    ) -> Result<(), Refused> {
        own_stream(meta, StreamId::Agency(code.clone()))?;
        self.changes.agencies.insert(
            code.to_string(),
            PartyRow {
                code: code.to_string(),
                name_fa: name.fa.to_string(),
                name_en: name.en.to_string(),
                since: meta.day,
            },
        );
        self.changes.all_zones = true;
        Ok(())
    }
}

/// Writes the agencies of a batch.
pub(super) async fn write(
    db: &mut impl Session,
    g: i64,
    c: &Changes,
) -> Result<(), ReadModelError> {
    db.insert(g, &c.agencies.values().collect::<Vec<_>>(), "")
        .await?;
    Ok(())
}

/// An agency (an NGO is written as an `NgoRow`).
impl Table for PartyRow {
    const INSERT: &'static str = "agencies (generation, code, name_fa, name_en, registered_day)";
    const ON_CONFLICT: &'static str = " ON CONFLICT (generation, code) DO UPDATE SET \
         name_fa = excluded.name_fa, name_en = excluded.name_en, \
         registered_day = excluded.registered_day";

    fn values(&self) -> Result<Vec<Param<'_>>, ReadModelError> {
        Ok(vec![
            self.code.as_str().into(),
            self.name_fa.as_str().into(),
            self.name_en.as_str().into(),
            self.since.iso().into(),
        ])
    }
}
