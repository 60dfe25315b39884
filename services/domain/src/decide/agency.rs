//! Executive agencies (streams `agency.<code>`).

use super::guards::first_registration;
use super::{Outcome, Rules};
use crate::error::DomainError;
use crate::event::{AgencyRegistered, Event};

impl Rules<'_> {
    pub(super) fn register_agency(&self, c: &AgencyRegistered) -> Result<Outcome, DomainError> {
        let registered = self.world.agencies.contains_key(&c.code);
        first_registration(
            &self.meta.actor,
            "register an executive agency",
            registered,
            "agency",
            &c.code,
        )?;
        Ok(Outcome::one(Event::AgencyRegistered(c.clone()), &c.code))
    }
}
