//! Who acts. Authentication comes later: for now the actor is what the request
//! claims, and the rules check that the claimed role may do the act.

use std::fmt;

use crate::values::{AgencyCode, MemberCode, NgoCode, Text};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// استانداری: the programme office at the Lorestan Governorate.
    ProgrammeOffice { user: Text },
    /// فرمانداری: the Khorramabad county governorate, the NGOs' supervisor.
    CountySupervisor { user: Text },
    /// A member of a Ministry-approved NGO.
    NgoMember { ngo: NgoCode, member: MemberCode },
    /// An officer of an executive agency.
    AgencyOfficer { agency: AgencyCode, user: Text },
}

impl Actor {
    /// The role's name, for error messages.
    pub fn role(&self) -> &'static str {
        match self {
            Self::ProgrammeOffice { .. } => "programme office",
            Self::CountySupervisor { .. } => "county supervisor",
            Self::NgoMember { .. } => "NGO member",
            Self::AgencyOfficer { .. } => "agency officer",
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ProgrammeOffice { user } => write!(f, "programme office ({user})"),
            Self::CountySupervisor { user } => write!(f, "county supervisor ({user})"),
            Self::NgoMember { ngo, member } => write!(f, "member {member} of NGO {ngo}"),
            Self::AgencyOfficer { agency, user } => write!(f, "{user} of agency {agency}"),
        }
    }
}

/// An authenticated caller, as its identity provider names it: who stands behind an
/// actor. Recorded with every event made while authentication was on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Principal {
    /// The token's issuer (`iss`).
    pub issuer: Text,
    /// The caller's id at that issuer (`sub`).
    pub subject: Text,
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}", self.subject, self.issuer)
    }
}
