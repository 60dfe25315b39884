//! Who a verified token says the caller is: its principal (issuer and subject), its
//! roles, and the actors of the programme it may act as, read from claims whose names
//! are configured ([`ClaimNames`]) so that any OpenID provider can be mapped without
//! code changes.

use saman_domain::actor::{Actor, Principal};
use saman_domain::values::{AgencyCode, MemberCode, NgoCode, Text};
use serde_json::Value;

use crate::error::{AuthError, Reason};
use crate::policy::Role;

/// Declares [`ClaimNames`] from one list: each field's flag, environment variable and
/// default, so the flags' defaults and `ClaimNames::default()` cannot drift apart.
macro_rules! claim_names {
    ($($(#[doc = $doc:literal])+ $field:ident: $long:literal, $env:literal, $default:literal;)+) => {
        /// The claims a token's identity is read from. Each name may be a dotted path into
        /// nested objects (Keycloak puts realm roles in `realm_access.roles`).
        #[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
        pub struct ClaimNames {
            $(
                $(#[doc = $doc])+
                #[arg(long = $long, env = $env, default_value = $default)]
                pub $field: String,
            )+
        }

        impl Default for ClaimNames {
            fn default() -> Self {
                Self {
                    $($field: $default.into(),)+
                }
            }
        }
    };
}

claim_names! {
    /// The claim holding the caller's roles: a list of strings, or one string of
    /// space-separated roles.
    roles: "auth-claim-roles", "SAMAN_AUTH_CLAIM_ROLES", "roles";
    /// Put before each role's name in the roles claim (e.g. `saman-` for
    /// `saman-programme-office`).
    role_prefix: "auth-role-prefix", "SAMAN_AUTH_ROLE_PREFIX", "";
    /// The claim naming an NGO member's NGO.
    ngo: "auth-claim-ngo", "SAMAN_AUTH_CLAIM_NGO", "saman_ngo";
    /// The claim naming an NGO member's member code.
    member: "auth-claim-member", "SAMAN_AUTH_CLAIM_MEMBER", "saman_member";
    /// The claim naming an agency officer's agency.
    agency: "auth-claim-agency", "SAMAN_AUTH_CLAIM_AGENCY", "saman_agency";
    /// The claim holding the user name of officials and officers (the subject when
    /// the token has no such claim).
    user: "auth-claim-user", "SAMAN_AUTH_CLAIM_USER", "preferred_username";
}

/// The longest issuer or subject accepted, in characters.
pub const MAX_ID_CHARS: usize = 1000;

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The token's `iss` and `sub`, as events record them.
    pub principal: Principal,
    /// The programme's roles the token holds (sorted, each once).
    pub roles: Vec<Role>,
    /// The actors the caller may act as, one per programme role held.
    pub actors: Vec<Actor>,
}

impl Caller {
    /// Reads the caller from the claims of a token whose signature, issuer, audience
    /// and times were verified.
    pub fn from_claims(claims: &Value, names: &ClaimNames) -> Result<Caller, AuthError> {
        // An issuer is a URL, a subject an opaque id: longer than a name may be.
        let text = |name: &str| {
            let raw = claims.get(name).and_then(Value::as_str).unwrap_or_default();
            Text::required(raw, MAX_ID_CHARS).map_err(|e| {
                AuthError::new(Reason::InvalidClaim, format!("the token's {name}: {e}"))
            })
        };
        let issuer = text("iss")?;
        let subject = text("sub")?;
        let roles = roles(claims, names)?;
        let mut actors = Vec::new();
        for role in &roles {
            let actor = match role {
                Role::ProgrammeOffice => Actor::ProgrammeOffice {
                    user: user(claims, names, subject.as_str())?,
                },
                Role::CountySupervisor => Actor::CountySupervisor {
                    user: user(claims, names, subject.as_str())?,
                },
                Role::NgoMember => Actor::NgoMember {
                    ngo: code(claims, &names.ngo, *role, NgoCode::parse)?,
                    member: code(claims, &names.member, *role, MemberCode::parse)?,
                },
                Role::AgencyOfficer => Actor::AgencyOfficer {
                    agency: code(claims, &names.agency, *role, AgencyCode::parse)?,
                    user: user(claims, names, subject.as_str())?,
                },
                Role::Operator => continue,
            };
            actors.push(actor);
        }
        Ok(Caller {
            principal: Principal { issuer, subject },
            roles,
            actors,
        })
    }

    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// A claim at a dotted path.
fn at<'v>(claims: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.')
        .try_fold(claims, |value, key| value.get(key))
}

fn roles(claims: &Value, names: &ClaimNames) -> Result<Vec<Role>, AuthError> {
    let values: Vec<&str> = match at(claims, &names.roles) {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        Some(Value::String(spaced)) => spaced.split_whitespace().collect(),
        Some(_) => {
            return Err(AuthError::new(
                Reason::InvalidClaim,
                format!(
                    "the roles claim `{}` is neither a list of strings nor a string",
                    names.roles
                ),
            ));
        }
        None => Vec::new(),
    };
    let mut roles: Vec<Role> = values
        .iter()
        .filter_map(|v| v.strip_prefix(names.role_prefix.as_str()))
        .filter_map(Role::from_claim_value)
        .collect();
    roles.sort();
    roles.dedup();
    if roles.is_empty() {
        let known = Role::ALL
            .iter()
            .map(|r| format!("{}{r}", names.role_prefix))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(AuthError::new(
            Reason::NoRole,
            format!(
                "the token holds no role of the programme in its claim `{}` (one of {known})",
                names.roles
            ),
        ));
    }
    Ok(roles)
}

fn user(claims: &Value, names: &ClaimNames, subject: &str) -> Result<Text, AuthError> {
    let raw = match at(claims, &names.user) {
        Some(Value::String(user)) => user.as_str(),
        Some(_) => {
            return Err(AuthError::new(
                Reason::InvalidClaim,
                format!("the user claim `{}` is not a string", names.user),
            ));
        }
        None => subject,
    };
    Text::required(raw, Text::SHORT).map_err(|e| {
        AuthError::new(
            Reason::InvalidClaim,
            format!("the token's user name (claim `{}`): {e}", names.user),
        )
    })
}

fn code<T>(
    claims: &Value,
    name: &str,
    role: Role,
    parse: impl Fn(&str) -> Result<T, saman_domain::values::ValueError>,
) -> Result<T, AuthError> {
    let Some(value) = at(claims, name) else {
        return Err(AuthError::new(
            Reason::MissingClaim,
            format!("a {role} token must carry the claim `{name}`"),
        ));
    };
    let Some(raw) = value.as_str() else {
        return Err(AuthError::new(
            Reason::InvalidClaim,
            format!("the claim `{name}` is not a string"),
        ));
    };
    parse(raw).map_err(|e| AuthError::new(Reason::InvalidClaim, format!("the claim `{name}`: {e}")))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn keycloak_realm_roles_map_with_a_prefix() {
        let names = ClaimNames {
            roles: "realm_access.roles".into(),
            role_prefix: "saman-".into(),
            ..ClaimNames::default()
        };
        let claims = json!({
            "iss": "https://id.example/realms/saman",
            "sub": "4b1c",
            "preferred_username": "sara",
            "realm_access": {"roles": ["offline_access", "saman-agency-officer"]},
            "saman_agency": "water-agency",
        });
        let principal = Caller::from_claims(&claims, &names).expect("a principal");
        assert_eq!(principal.roles, [Role::AgencyOfficer]);
        assert_eq!(principal.actors.len(), 1);
        assert_eq!(
            principal.actors[0].to_string(),
            "sara of agency water-agency"
        );
    }

    #[test]
    fn a_member_token_needs_its_ngo_and_member() {
        let claims = json!({
            "iss": "https://id.example",
            "sub": "u1",
            "roles": "ngo-member",
            "saman_member": "m-001",
        });
        let err = Caller::from_claims(&claims, &ClaimNames::default()).expect_err("no ngo");
        assert_eq!(err.reason, Reason::MissingClaim);
        assert!(err.message.contains("saman_ngo"), "{}", err.message);
    }
}
