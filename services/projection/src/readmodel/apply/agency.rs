//! An agency's stream: its registration.

use saman_domain::StreamId;
use saman_domain::values::{AgencyCode, Names};

use super::applier::{Applied, Applier, Meta, own_stream};
use crate::readmodel::facts::AgencyRow;

impl Applier {
    pub(super) fn agency_registered(
        &mut self,
        meta: &Meta<'_>,
        code: &AgencyCode,
        name: &Names,
    ) -> Applied {
        own_stream(meta, StreamId::Agency(code.clone()))?;
        self.known
            .names
            .agencies
            .insert(code.to_string(), (name.fa.to_string(), name.en.to_string()));
        self.changes.agencies.insert(
            code.to_string(),
            AgencyRow {
                code: code.to_string(),
                name_fa: name.fa.to_string(),
                name_en: name.en.to_string(),
                registered_day: meta.day,
            },
        );
        self.changes.all_zones = true;
        Ok(())
    }
}
