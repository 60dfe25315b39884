//! Who may call what: one table of every RPC of both services against the roles, read
//! by the gate that admits each call ([`crate::Gate`]) and printed in docs/security.md
//! ([`markdown`]; a test keeps the two the same).
//!
//! A role admits a caller to an RPC; the scope says what the caller may then do with
//! it. The scope is not checked here but follows from the actor being the token's: the
//! domain's rules judge every write by its actor (an NGO member declares needs for their
//! own NGO only while approved, an officer answers only their own agency's referrals),
//! and a request can no longer name another actor than its token's.

use std::fmt;

/// A role of the programme, as a token's roles claim names it (with the configured
/// prefix, [`crate::ClaimNames::role_prefix`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// استانداری: the programme office at the Lorestan Governorate.
    ProgrammeOffice,
    /// فرمانداری: the Khorramabad county governorate, the NGOs' supervisor.
    CountySupervisor,
    /// A member of a Ministry-approved NGO (the token names the NGO and the member).
    NgoMember,
    /// An officer of an executive agency (the token names the agency and the user).
    AgencyOfficer,
    /// The operations team: the projection's admin RPCs.
    Operator,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::ProgrammeOffice,
        Role::CountySupervisor,
        Role::NgoMember,
        Role::AgencyOfficer,
        Role::Operator,
    ];

    /// The role's value in a token's roles claim (before the configured prefix).
    pub fn claim_value(self) -> &'static str {
        match self {
            Role::ProgrammeOffice => "programme-office",
            Role::CountySupervisor => "county-supervisor",
            Role::NgoMember => "ngo-member",
            Role::AgencyOfficer => "agency-officer",
            Role::Operator => "operator",
        }
    }

    pub fn from_claim_value(value: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.claim_value() == value)
    }
}

/// Roles as messages name them: `programme-office, ngo-member`.
pub fn listed(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.claim_value())
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.claim_value())
    }
}

/// Which callers an RPC admits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// The callers holding one of these roles.
    Roles(&'static [Role]),
    /// Any authenticated caller, or anyone when the service runs with public reads.
    Readers,
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The gRPC service's full name, e.g. `saman.intake.v1.Intake`.
    pub service: &'static str,
    /// The method, as the .proto spells it.
    pub rpc: &'static str,
    pub who: Who,
    /// What the caller may do with it, beyond the role.
    pub scope: &'static str,
    /// The roles that may make this write on its original actor's behalf, attesting
    /// its claimed time (`Submission.attestation`): the programme office entering a
    /// paper form. Such a caller is admitted by the gate, and the write refused at the
    /// edge unless it carries an attestation ([`Rule::refuses_unattested`]).
    pub attested_by: &'static [Role],
}

impl Rule {
    /// Whether a caller with `roles` is admitted (a reader rule admits every
    /// authenticated caller).
    pub fn admits(&self, roles: &[Role]) -> bool {
        match self.who {
            Who::Readers => true,
            Who::Roles(allowed) => roles.iter().any(|r| allowed.contains(r)),
        }
    }

    /// Whether the gate lets a caller with `roles` through: to act, or to attest.
    pub fn lets_through(&self, roles: &[Role]) -> bool {
        self.admits(roles) || roles.iter().any(|r| self.attested_by.contains(r))
    }

    /// Whether a caller with `roles`, let through only to attest, sent a write without
    /// an attestation: then it is refused as the gate refuses a role it does not admit.
    pub fn refuses_unattested(&self, roles: &[Role], attested: bool) -> bool {
        !attested && !self.admits(roles)
    }

    /// Whether a caller with `roles` may attest the claimed time of this write.
    pub fn may_attest(&self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.attested_by.contains(r))
    }

    /// The roles the rule names, for messages and the docs ("any caller" for readers).
    pub fn who_text(&self) -> String {
        match self.who {
            Who::Readers => "any authenticated caller (anyone with public reads)".into(),
            Who::Roles(roles) => listed(roles),
        }
    }
}

pub const INTAKE: &str = "saman.intake.v1.Intake";
pub const PROJECTION: &str = "saman.projection.v1.Projection";
pub const PROJECTION_ADMIN: &str = "saman.projection.v1.ProjectionAdmin";

// Who the rules admit, as the table names them.
const OFFICE: Who = Who::Roles(&[Role::ProgrammeOffice]);
const SUPERVISOR: Who = Who::Roles(&[Role::CountySupervisor]);
const MEMBER: Who = Who::Roles(&[Role::NgoMember]);
const OFFICER: Who = Who::Roles(&[Role::AgencyOfficer]);
const OPERATOR: Who = Who::Roles(&[Role::Operator]);
const READERS: Who = Who::Readers;

/// A table of rules, one line each, grouped by service; `paper` marks a write of an NGO
/// member or an agency officer that the programme office may enter from a paper form,
/// attesting the time on the form.
macro_rules! rules {
    ($($service:ident { $($rpc:literal => $who:expr, $scope:literal $(, $paper:ident)?;)+ })+) => {
        &[$($(Rule {
            service: $service,
            rpc: $rpc,
            who: $who,
            scope: $scope,
            attested_by: rules!(@attested $($paper)?),
        },)+)+]
    };
    (@attested) => { &[] };
    (@attested paper) => { &[Role::ProgrammeOffice] };
}

/// Every RPC of both services (health and reflection are open to all and not listed).
pub const RULES: &[Rule] = rules! {
    INTAKE {
        "SetProgrammeDates" => OFFICE, "the programme";
        "RegisterZone" => OFFICE, "any zone";
        "RegisterAgency" => OFFICE, "any agency";
        "RecordApprovedNgo" => OFFICE, "any NGO";
        "ApproveNgoMember" => OFFICE, "any NGO";
        "RevokeNgoMember" => OFFICE, "any NGO";
        "DeclareNeed" => MEMBER, "for the token's NGO, while the member is approved", paper;
        "ReferNeed" => MEMBER, "for the token's NGO, while the member is approved", paper;
        "ReportSocialActivity" => MEMBER, "for the token's NGO, while the member is approved", paper;
        "AnswerReferral" => OFFICER, "referrals made to the token's agency", paper;
        "SubmitProposal" => OFFICER, "for the token's agency", paper;
        "ReportProgress" => OFFICER, "projects of the token's agency", paper;
        "CompleteProject" => OFFICER, "projects of the token's agency", paper;
        "DecideProposal" => SUPERVISOR, "any proposal";
        "FileSupervisionReport" => SUPERVISOR, "any NGO";
    }
    PROJECTION {
        "GetZoneProgress" => READERS, "every zone";
        "ListZones" => READERS, "every zone";
        "GetProgrammeSummary" => READERS, "the programme";
        "GetCompliance" => READERS, "every NGO";
        "GetCooperation" => READERS, "every agency";
        "ListOverdueProjects" => READERS, "every zone";
        "ListOpenReferrals" => READERS, "every zone";
        "GetDecisionTimes" => READERS, "every zone";
        "GetSupervision" => READERS, "every NGO";
        "GetActivities" => READERS, "every zone";
        "GetLateItems" => READERS, "every NGO and agency";
        "ListZoneBudgets" => READERS, "every zone";
        "GetNgoMembers" => READERS, "every NGO";
        "GetCorrections" => READERS, "every zone";
        "GetZoneSeries" => READERS, "every zone";
        "GetZoneTimeline" => READERS, "every zone";
        "WatchZoneProgress" => READERS, "every zone";
    }
    PROJECTION_ADMIN {
        "GetStatus" => READERS, "the projection";
        "ListParked" => OPERATOR, "the projection";
        "Rebuild" => OPERATOR, "the projection";
    }
};

/// The rule of a gRPC path (`/saman.intake.v1.Intake/DeclareNeed`); `None` for a path
/// the table does not name (health, reflection, or no such method).
pub fn rule_of(path: &str) -> Option<&'static Rule> {
    let (service, rpc) = path.strip_prefix('/')?.split_once('/')?;
    RULES.iter().find(|r| r.service == service && r.rpc == rpc)
}

/// The table as docs/security.md shows it: one row per RPC, one column per role, the
/// scope, and who may attest a write's claimed time for its original actor.
pub fn markdown() -> String {
    let mut out = String::from("| service | RPC |");
    for role in Role::ALL {
        out.push_str(&format!(" `{role}` |"));
    }
    out.push_str(" scope | time attested by |\n|---|---|");
    for _ in Role::ALL {
        out.push_str("---|");
    }
    out.push_str("---|---|\n");
    for rule in RULES {
        let service = rule.service.rsplit('.').next().unwrap_or(rule.service);
        out.push_str(&format!("| {service} | {} |", rule.rpc));
        for role in Role::ALL {
            let mark = match rule.who {
                Who::Readers => "read",
                Who::Roles(_) if rule.admits(&[role]) => "yes",
                Who::Roles(_) => "",
            };
            out.push_str(&format!(" {mark} |"));
        }
        let attesters = rule
            .attested_by
            .iter()
            .map(|r| format!("`{r}`"))
            .collect::<Vec<_>>()
            .join(", ");
        out.push_str(&format!(" {} | {attesters} |\n", rule.scope));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_find_their_rule_and_nothing_else() {
        let rule = rule_of("/saman.intake.v1.Intake/DecideProposal").expect("a rule");
        assert!(rule.admits(&[Role::CountySupervisor]));
        assert!(!rule.admits(&[Role::ProgrammeOffice, Role::NgoMember]));
        assert_eq!(rule_of("/grpc.health.v1.Health/Check"), None);
        assert_eq!(rule_of("/saman.intake.v1.Intake/NoSuchThing"), None);
        assert_eq!(rule_of("saman.intake.v1.Intake/DeclareNeed"), None);
    }

    #[test]
    fn the_office_attests_paper_forms_but_acts_only_in_its_own_role() {
        let declare = rule_of("/saman.intake.v1.Intake/DeclareNeed").expect("a rule");
        let office = [Role::ProgrammeOffice];
        assert!(declare.lets_through(&office) && declare.may_attest(&office));
        assert!(declare.refuses_unattested(&office, false));
        assert!(!declare.refuses_unattested(&office, true));
        assert!(!declare.refuses_unattested(&[Role::NgoMember], false));
        let decide = rule_of("/saman.intake.v1.Intake/DecideProposal").expect("a rule");
        assert!(!decide.lets_through(&office) && !decide.may_attest(&office));
    }

    #[test]
    fn every_rpc_is_listed_once() {
        let mut seen = std::collections::HashSet::new();
        for rule in RULES {
            assert!(seen.insert((rule.service, rule.rpc)), "{} twice", rule.rpc);
        }
        // Intake's 15 writes, the projection's 17 queries, its 3 operator calls.
        assert_eq!(RULES.len(), 15 + 17 + 3);
    }
}
