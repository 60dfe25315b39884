//! Which time the rules judge an act by. A submission says when its act happened
//! (`occurred_at`), but a client could then make a late submission on time by claiming
//! an earlier time; so the rules judge the time intake received it, unless the claimed
//! time is vouched for ([`Vouch`]): it is within a small tolerance of the receipt (a
//! clock that is off, a phone that was offline for a day), someone the policy table
//! allows attested it (the programme office entering a paper form for its author), or
//! the deployment trusts claimed times (replaying a past year, opted into by a flag).

use jiff::{SignedDuration, Timestamp};

use crate::actor::{Actor, Principal};
use crate::values::Text;

/// Who vouched for a claimed time, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attestation {
    /// The attester acting in its own role (e.g. the programme office).
    pub attester: Actor,
    /// The attester's authenticated caller.
    pub principal: Option<Principal>,
    /// Why the claimed time stands (e.g. "paper form received on 1397-01-20").
    pub reason: Text,
}

/// What vouches for a submission's claimed `occurred_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Vouch {
    /// Nothing: the claimed time is recorded, the receipt time is judged.
    Unvouched,
    /// Claimed at most this many seconds before the receipt (and not in the future).
    WithinTolerance { tolerance_secs: u64 },
    /// Attested by someone the policy table allows.
    Attested(Attestation),
    /// The deployment trusts claimed times (it replays a past year).
    TrustedDeployment,
}

impl Vouch {
    /// The time the rules judge by: the claimed one when vouched for, else the receipt.
    pub fn judged(&self, claimed: Timestamp, received: Timestamp) -> Timestamp {
        match self {
            Vouch::Unvouched => received,
            _ => claimed,
        }
    }

    /// A short name for logs and read models: `unvouched`, `tolerance`, `attested`,
    /// `trusted-deployment`.
    pub fn name(&self) -> &'static str {
        match self {
            Vouch::Unvouched => "unvouched",
            Vouch::WithinTolerance { .. } => "tolerance",
            Vouch::Attested(_) => "attested",
            Vouch::TrustedDeployment => "trusted-deployment",
        }
    }
}

/// How a deployment trusts claimed times (intake's flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeTrust {
    /// How long before its receipt a claimed time still stands on its own.
    pub tolerance: SignedDuration,
    /// Every claimed time stands: only for a deployment that replays a past year.
    pub trust_claimed: bool,
}

impl TimeTrust {
    /// The default tolerance: a phone offline for a day and a half.
    pub const DEFAULT_TOLERANCE: SignedDuration = SignedDuration::from_hours(36);

    /// What vouches for `claimed`, received at `received`: an attestation first (it
    /// names who), then the tolerance, then the deployment's opt-in; else nothing.
    pub fn vouch(
        &self,
        claimed: Timestamp,
        received: Timestamp,
        attestation: Option<Attestation>,
    ) -> Vouch {
        if let Some(attestation) = attestation {
            return Vouch::Attested(attestation);
        }
        if received.duration_since(claimed) <= self.tolerance {
            return Vouch::WithinTolerance {
                tolerance_secs: self.tolerance.as_secs().max(0).unsigned_abs(),
            };
        }
        if self.trust_claimed {
            return Vouch::TrustedDeployment;
        }
        Vouch::Unvouched
    }
}

impl Default for TimeTrust {
    fn default() -> Self {
        Self {
            tolerance: Self::DEFAULT_TOLERANCE,
            trust_claimed: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn a_claim_beyond_the_tolerance_stands_only_when_vouched_for() {
        let received = at("2026-05-10T12:00:00Z");
        let within = at("2026-05-09T12:00:00Z");
        let beyond = at("2026-05-01T12:00:00Z");
        let trust = TimeTrust::default();
        assert_eq!(
            trust.vouch(within, received, None),
            Vouch::WithinTolerance {
                tolerance_secs: 36 * 3600
            }
        );
        let unvouched = trust.vouch(beyond, received, None);
        assert_eq!(unvouched, Vouch::Unvouched);
        assert_eq!(unvouched.judged(beyond, received), received);
        let replay = TimeTrust {
            trust_claimed: true,
            ..trust
        };
        let trusted = replay.vouch(beyond, received, None);
        assert_eq!(trusted, Vouch::TrustedDeployment);
        assert_eq!(trusted.judged(beyond, received), beyond);
    }
}
