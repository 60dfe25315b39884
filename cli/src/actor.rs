//! Who a write is made by: the `--as` flag (or `SAMAN_AS`).
//!
//! `office:USER`, `supervisor:USER`, `member:NGO/MEMBER`, `officer:AGENCY/USER`. The
//! codes themselves are checked by intake, which names the field it refuses.

use std::fmt;
use std::str::FromStr;

use saman_proto::events::v1::{self as events, actor::Kind};

/// The four roles of the programme, as the `--as` flag spells them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorArg(pub Kind);

/// The role a write subcommand is normally made in, to say which `--as` it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Office,
    Supervisor,
    Member,
    Officer,
}

impl Role {
    /// The actor used when `--as` is not given: officials act under the login name;
    /// an NGO member or an agency officer must say who they are.
    pub fn default_actor(self) -> Option<ActorArg> {
        let user = std::env::var("USER")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| "cli".into());
        match self {
            Role::Office => Some(ActorArg(Kind::ProgrammeOffice(events::Official { user }))),
            Role::Supervisor => Some(ActorArg(Kind::CountySupervisor(events::Official { user }))),
            Role::Member | Role::Officer => None,
        }
    }

    /// The `--as` form this role takes, for error messages.
    pub fn example(self) -> &'static str {
        match self {
            Role::Office => "office:USER",
            Role::Supervisor => "supervisor:USER",
            Role::Member => "member:NGO/MEMBER (e.g. member:ngo-01/m-001)",
            Role::Officer => "officer:AGENCY/USER (e.g. officer:water/officer-1)",
        }
    }
}

impl ActorArg {
    pub fn to_proto(&self) -> events::Actor {
        events::Actor {
            kind: Some(self.0.clone()),
        }
    }
}

impl FromStr for ActorArg {
    type Err = String;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let usage = "use office:USER, supervisor:USER, member:NGO/MEMBER or officer:AGENCY/USER";
        let (role, who) = input
            .split_once(':')
            .ok_or_else(|| format!("'{input}' names no role: {usage}"))?;
        let pair = |what: &str| {
            who.split_once('/')
                .filter(|(a, b)| !a.is_empty() && !b.is_empty())
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .ok_or_else(|| format!("'{input}': {role} needs {what}"))
        };
        let user = || {
            if who.is_empty() {
                Err(format!("'{input}': {role} needs a user name"))
            } else {
                Ok(who.to_string())
            }
        };
        let kind = match role {
            "office" | "programme-office" => {
                Kind::ProgrammeOffice(events::Official { user: user()? })
            }
            "supervisor" | "county-supervisor" => {
                Kind::CountySupervisor(events::Official { user: user()? })
            }
            "member" | "ngo-member" => {
                let (ngo, member) = pair("NGO/MEMBER")?;
                Kind::NgoMember(events::NgoMember { ngo, member })
            }
            "officer" | "agency-officer" => {
                let (agency, user) = pair("AGENCY/USER")?;
                Kind::AgencyOfficer(events::AgencyOfficer { agency, user })
            }
            other => return Err(format!("unknown role '{other}': {usage}")),
        };
        Ok(ActorArg(kind))
    }
}

impl fmt::Display for ActorArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Kind::ProgrammeOffice(o) => write!(f, "office:{}", o.user),
            Kind::CountySupervisor(o) => write!(f, "supervisor:{}", o.user),
            Kind::NgoMember(m) => write!(f, "member:{}/{}", m.ngo, m.member),
            Kind::AgencyOfficer(o) => write!(f, "officer:{}/{}", o.agency, o.user),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_reads_back_as_written() {
        for text in [
            "office:maryam",
            "supervisor:reza",
            "member:ngo-01/m-001",
            "officer:water/officer-1",
        ] {
            let actor: ActorArg = text.parse().unwrap();
            assert_eq!(actor.to_string(), text);
        }
    }

    #[test]
    fn a_malformed_actor_says_what_is_missing() {
        assert!(
            "member:ngo-01"
                .parse::<ActorArg>()
                .unwrap_err()
                .contains("NGO/MEMBER"),
        );
        assert!(
            "mayor:x"
                .parse::<ActorArg>()
                .unwrap_err()
                .contains("unknown role")
        );
        assert!(
            "office"
                .parse::<ActorArg>()
                .unwrap_err()
                .contains("names no role")
        );
        assert!(
            "office:"
                .parse::<ActorArg>()
                .unwrap_err()
                .contains("user name")
        );
    }
}
