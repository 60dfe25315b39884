//! Executive agencies (streams `agency.<code>`).

use super::guards::programme_office;
use super::{Outcome, Rules};
use crate::error::DomainError;
use crate::event::Event;
use crate::values::{AgencyCode, Names};

impl Rules<'_> {
    pub(super) fn register_agency(
        &self,
        code: &AgencyCode,
        name: &Names,
    ) -> Result<Outcome, DomainError> {
        programme_office(&self.meta.actor, "register an executive agency")?;
        if self.world.agencies.contains_key(code) {
            return Err(DomainError::already_exists("code", "agency", code));
        }
        let event = Event::AgencyRegistered {
            code: code.clone(),
            name: name.clone(),
        };
        Ok(Outcome::one(event, code))
    }
}
