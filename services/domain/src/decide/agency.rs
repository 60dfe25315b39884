//! Executive agencies (streams `agency.<code>`).

use super::guards::programme_office;
use super::{Outcome, Rules};
use crate::error::DomainError;
use crate::event::{AgencyRegistered, Event};

impl Rules<'_> {
    pub(super) fn register_agency(&self, c: &AgencyRegistered) -> Result<Outcome, DomainError> {
        programme_office(&self.meta.actor, "register an executive agency")?;
        if self.world.agencies.contains_key(&c.code) {
            return Err(DomainError::already_exists("code", "agency", &c.code));
        }
        Ok(Outcome::one(Event::AgencyRegistered(c.clone()), &c.code))
    }
}
