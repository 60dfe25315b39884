//! A development issuer: an Ed25519 signing key kept in a file, the JWKS that
//! publishes its public half, and tokens minted with it for a named identity
//! (`member:ngo-01/m-001`). What `scripts/dev`, `saman token mint` and the tests use;
//! a deployment gets its tokens from a real OpenID provider instead (docs/security.md).

use std::fmt;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::RngCore as _;
use serde_json::{Value, json};

use crate::caller::ClaimNames;
use crate::policy::Role;

/// The issuer development tokens name, unless told otherwise.
pub const DEV_ISSUER: &str = "https://saman.dev.invalid";
/// The audience of the services, and of development tokens.
pub const AUDIENCE: &str = "saman";

/// RFC 8410's PKCS#8 (v1) prefix of an Ed25519 private key: the 32-byte seed follows.
const ED25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// An Ed25519 signing key with its key id.
pub struct DevKey {
    pub kid: String,
    encoding: EncodingKey,
    public: Jwk,
    pem: String,
}

impl DevKey {
    /// A new random key named `kid`.
    pub fn generate(kid: &str) -> anyhow::Result<Self> {
        let mut der = ED25519_PKCS8_PREFIX.to_vec();
        let mut seed = [0u8; 32];
        rand::rng().fill_bytes(&mut seed);
        der.extend_from_slice(&seed);
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            STANDARD.encode(&der)
        );
        Self::from_pem(kid, &pem)
    }

    /// The key of a PKCS#8 PEM file's text.
    pub fn from_pem(kid: &str, pem: &str) -> anyhow::Result<Self> {
        let encoding = EncodingKey::from_ed_pem(pem.as_bytes())
            .map_err(|e| anyhow!("not an Ed25519 private key in PKCS#8 PEM: {e}"))?;
        let mut public = Jwk::from_encoding_key(&encoding, Algorithm::EdDSA)
            .map_err(|e| anyhow!("cannot derive the public key: {e}"))?;
        public.common.key_id = Some(kid.to_owned());
        public.common.public_key_use = Some(PublicKeyUse::Signature);
        public.common.key_algorithm = Some(KeyAlgorithm::EdDSA);
        Ok(Self {
            kid: kid.to_owned(),
            encoding,
            public,
            pem: pem.to_owned(),
        })
    }

    /// Reads the key from `path` (its key id is the file's stem).
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let pem = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the signing key {}", path.display()))?;
        let kid = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("dev")
            .to_owned();
        Self::from_pem(&kid, &pem).with_context(|| path.display().to_string())
    }

    /// The private key as PKCS#8 PEM, to keep in a file only its owner reads.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// The public key as a JWK.
    pub fn public_jwk(&self) -> &Jwk {
        &self.public
    }

    /// A JWKS publishing this key (and `others`, e.g. the previous key during a
    /// rotation).
    pub fn jwks(keys: &[&DevKey]) -> JwkSet {
        JwkSet {
            keys: keys.iter().map(|k| k.public.clone()).collect(),
        }
    }

    /// A token for `claims`, signed with this key.
    pub fn sign(&self, claims: &Value) -> anyhow::Result<String> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).context("cannot sign the token")
    }

    /// A token for `identity` from `issuer`, valid from now for `ttl`, with the
    /// default claim names.
    pub fn mint(&self, identity: &Identity, issuer: &str, ttl: Duration) -> anyhow::Result<String> {
        self.sign(&identity.claims(issuer, ttl, &ClaimNames::default()))
    }
}

/// Whom a development token names: a role and what the role needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub role: Role,
    /// The user name of officials, officers and operators; the member code of members.
    pub user: String,
    /// The NGO of a member, the agency of an officer.
    pub unit: Option<String>,
}

impl Identity {
    pub const USAGE: &str =
        "use office:USER, supervisor:USER, member:NGO/MEMBER, officer:AGENCY/USER or operator:USER";

    /// The token's subject: stable per identity, so the events name the same principal.
    pub fn subject(&self) -> String {
        match &self.unit {
            Some(unit) => format!("{}:{unit}/{}", self.role, self.user),
            None => format!("{}:{}", self.role, self.user),
        }
    }

    /// The claims of a token for this identity.
    pub fn claims(&self, issuer: &str, ttl: Duration, names: &ClaimNames) -> Value {
        let now = jiff::Timestamp::now().as_second();
        let ttl = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2);
        let mut claims = json!({
            "iss": issuer,
            "sub": self.subject(),
            "aud": AUDIENCE,
            "iat": now,
            "nbf": now,
            "exp": now.saturating_add(ttl),
        });
        let mut put = |path: &str, value: Value| set(&mut claims, path, value);
        put(
            &names.roles,
            json!([format!("{}{}", names.role_prefix, self.role)]),
        );
        match (self.role, &self.unit) {
            (Role::NgoMember, Some(ngo)) => {
                put(&names.ngo, json!(ngo));
                put(&names.member, json!(self.user));
            }
            (Role::AgencyOfficer, Some(agency)) => {
                put(&names.agency, json!(agency));
                put(&names.user, json!(self.user));
            }
            _ => put(&names.user, json!(self.user)),
        }
        claims
    }
}

/// `claims` with the top-level claim `key` set to `value`: the tests spoil a valid
/// token's claims one at a time.
pub fn with_claim(mut claims: Value, key: &str, value: Value) -> Value {
    claims[key] = value;
    claims
}

/// `claims` without the top-level claim `key` (see [`with_claim`]).
pub fn without_claim(mut claims: Value, key: &str) -> Value {
    if let Some(object) = claims.as_object_mut() {
        object.remove(key);
    }
    claims
}

/// Sets the claim at a dotted path, making the objects on the way.
fn set(claims: &mut Value, path: &str, value: Value) {
    let mut at = claims;
    let mut keys = path.split('.').peekable();
    while let Some(key) = keys.next() {
        if keys.peek().is_none() {
            at[key] = value;
            return;
        }
        if !at.get(key).is_some_and(Value::is_object) {
            at[key] = json!({});
        }
        at = &mut at[key];
    }
}

impl std::str::FromStr for Identity {
    type Err = String;

    fn from_str(input: &str) -> Result<Self, String> {
        let usage = Self::USAGE;
        let (role, rest) = input
            .split_once(':')
            .ok_or_else(|| format!("'{input}' names no role: {usage}"))?;
        let Some(&(role, _)) = ROLE_NAMES.iter().find(|(_, name)| *name == role) else {
            return Err(format!("'{role}' is not a role: {usage}"));
        };
        let needs_unit = matches!(role, Role::NgoMember | Role::AgencyOfficer);
        let (unit, user) = if needs_unit {
            match rest.split_once('/') {
                Some((unit, user)) => (Some(unit.to_owned()), user.to_owned()),
                None => return Err(format!("'{input}': {usage}")),
            }
        } else {
            (None, rest.to_owned())
        };
        if user.is_empty() || unit.as_deref() == Some("") {
            return Err(format!("'{input}': {usage}"));
        }
        Ok(Identity { role, user, unit })
    }
}

/// How an identity names its role, both ways (`office:alice`).
const ROLE_NAMES: [(Role, &str); 5] = [
    (Role::ProgrammeOffice, "office"),
    (Role::CountySupervisor, "supervisor"),
    (Role::NgoMember, "member"),
    (Role::AgencyOfficer, "officer"),
    (Role::Operator, "operator"),
];

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let role = ROLE_NAMES
            .iter()
            .find_map(|&(role, name)| (role == self.role).then_some(name))
            .unwrap_or("?");
        match &self.unit {
            Some(unit) => write!(f, "{role}:{unit}/{}", self.user),
            None => write!(f, "{role}:{}", self.user),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_read_as_written() {
        for text in [
            "office:alice",
            "supervisor:bob",
            "member:ngo-01/m-001",
            "officer:water/ali",
            "operator:ops",
        ] {
            let identity: Identity = text.parse().expect(text);
            assert_eq!(identity.to_string(), text);
        }
        for bad in ["alice", "member:m-001", "office:", "officer:/x", "boss:x"] {
            assert!(bad.parse::<Identity>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_key_survives_its_pem() {
        let key = DevKey::generate("k1").expect("a key");
        let again = DevKey::from_pem("k1", key.pem()).expect("read back");
        assert_eq!(key.public_jwk(), again.public_jwk());
    }
}
