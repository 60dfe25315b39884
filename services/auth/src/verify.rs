//! A bearer token verified, or refused with what is wrong with it.
//!
//! The checks, in order, each with its own refusal: the header's shape (`Bearer`, not
//! empty, at most [`MAX_TOKEN_BYTES`]); the token's shape (three base64url parts, a
//! JSON header); the algorithm (never `none`, never HMAC: a shared secret would let
//! every service that verifies also mint; only EdDSA, ES256 and RS256); the key id, the
//! issuer's key of that id, and that the key is of the token's algorithm; the signature;
//! then, on a signed token only, the claims: `exp` and `nbf` (with a small leeway for
//! clocks), the issuer, the audience, the subject, and the roles ([`Caller`]).

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use saman_domain::values::quote;
use serde_json::Value;

use crate::caller::{Caller, ClaimNames};
use crate::error::{AuthError, Reason};
use crate::keys::{ACCEPTED, Keys};

/// The longest token accepted, in bytes: far above what providers issue (Keycloak's
/// are 1-2 kB), far below gRPC's metadata limit.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// What a token must say to be accepted.
#[derive(Debug, Clone)]
pub struct Expect {
    /// The `iss` every token must carry.
    pub issuer: String,
    /// One of these must be in the token's `aud`.
    pub audience: String,
    /// How far `exp` and `nbf` may be off, for clocks that disagree.
    pub leeway: Duration,
    pub claims: ClaimNames,
}

/// Verifies tokens against the issuer's keys.
pub struct Verifier {
    expect: Expect,
    keys: Keys,
}

impl Verifier {
    pub fn new(expect: Expect, keys: Keys) -> Self {
        Self { expect, keys }
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    pub fn expect(&self) -> &Expect {
        &self.expect
    }

    /// The caller of a request whose `authorization` header is `header` (`None`: no
    /// such header).
    pub async fn verify_header(&self, header: Option<&[u8]>) -> Result<Caller, AuthError> {
        let Some(header) = header else {
            return Err(AuthError::new(
                Reason::MissingCredentials,
                "no credentials: send the header `authorization: Bearer <token>`",
            ));
        };
        let Ok(header) = std::str::from_utf8(header) else {
            return Err(AuthError::new(
                Reason::NotBearer,
                "the header is not text; send `authorization: Bearer <token>`",
            ));
        };
        let (scheme, token) = header.trim().split_once(' ').unwrap_or((header.trim(), ""));
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(AuthError::new(
                Reason::NotBearer,
                format!(
                    "the scheme {} is not Bearer; send `authorization: Bearer <token>`",
                    quote(scheme)
                ),
            ));
        }
        self.verify(token.trim()).await
    }

    /// The caller a token names, once every check passed.
    pub async fn verify(&self, token: &str) -> Result<Caller, AuthError> {
        if token.is_empty() {
            return Err(AuthError::new(
                Reason::EmptyToken,
                "the Bearer token is empty",
            ));
        }
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AuthError::new(
                Reason::TokenTooLong,
                format!(
                    "the token is {} bytes long, more than the {MAX_TOKEN_BYTES} accepted",
                    token.len()
                ),
            ));
        }
        let parts: Vec<&str> = token.split('.').collect();
        if parts.len() != 3 {
            return Err(AuthError::new(
                Reason::MalformedToken,
                format!(
                    "not a JWT: a JWT is three base64url parts separated by dots, this has {}",
                    parts.len()
                ),
            ));
        }
        let header = jose_header(parts[0])?;
        let algorithm = algorithm(&header)?;
        let Some(kid) = header.get("kid").and_then(Value::as_str) else {
            return Err(AuthError::new(
                Reason::NoKeyId,
                "the token's header names no signing key (kid)",
            ));
        };
        let key = self.keys.get(kid).await?;
        if key.algorithm != algorithm {
            return Err(AuthError::new(
                Reason::KeyAlgorithmMismatch,
                format!(
                    "the token says {algorithm:?} but the issuer's key {} is a {:?} key",
                    quote(kid),
                    key.algorithm
                ),
            ));
        }
        let mut validation = Validation::new(algorithm);
        validation.leeway = self.expect.leeway.as_secs();
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.expect.issuer]);
        validation.set_audience(&[&self.expect.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let data = jsonwebtoken::decode::<Value>(token, &key.decoding, &validation)
            .map_err(|e| self.refusal(e.into_kind(), parts[1]))?;
        Caller::from_claims(&data.claims, &self.expect.claims)
    }

    /// The refusal for a failed signature or claims check; `payload` is the token's
    /// (signed) claims part, read again to say what was wrong.
    fn refusal(&self, kind: ErrorKind, payload: &str) -> AuthError {
        let claims = URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
            .unwrap_or(Value::Null);
        let time = |name: &str| {
            claims
                .get(name)
                .and_then(Value::as_i64)
                .and_then(|s| jiff::Timestamp::from_second(s).ok())
                .map_or_else(|| "?".to_owned(), |t| t.to_string())
        };
        let text = |name: &str| match claims.get(name) {
            Some(Value::String(s)) => quote(s),
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(quote)
                .collect::<Vec<_>>()
                .join(", "),
            _ => "?".into(),
        };
        let issuer = quote(&self.expect.issuer);
        let audience = quote(&self.expect.audience);
        let (reason, message) = match kind {
            ErrorKind::InvalidSignature => (
                Reason::BadSignature,
                "the token's signature does not verify with the issuer's key".to_owned(),
            ),
            ErrorKind::ExpiredSignature => {
                let at = time("exp");
                (Reason::Expired, format!("the token expired at {at}"))
            }
            ErrorKind::ImmatureSignature => {
                let from = time("nbf");
                (
                    Reason::NotYetValid,
                    format!("the token is not valid before {from}"),
                )
            }
            ErrorKind::InvalidIssuer => {
                let named = text("iss");
                (
                    Reason::WrongIssuer,
                    format!("the token's issuer {named} is not {issuer}"),
                )
            }
            ErrorKind::InvalidAudience => {
                let named = text("aud");
                (
                    Reason::WrongAudience,
                    format!("the token is for {named}, not for {audience}"),
                )
            }
            // A claim of the wrong type reads as missing to the library.
            ErrorKind::MissingRequiredClaim(claim) if claims.get(&claim).is_none() => (
                Reason::MissingClaim,
                format!("the token has no {} claim", quote(&claim)),
            ),
            ErrorKind::MissingRequiredClaim(claim) | ErrorKind::InvalidClaimFormat(claim) => (
                Reason::MalformedClaims,
                format!("the token's {} claim has the wrong type", quote(&claim)),
            ),
            other => (
                Reason::MalformedClaims,
                format!("the token's claims are not readable JSON: {other:?}"),
            ),
        };
        AuthError::new(reason, message)
    }
}

/// The token's JOSE header, as JSON.
fn jose_header(part: &str) -> Result<Value, AuthError> {
    let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| {
        AuthError::new(
            Reason::MalformedHeader,
            "the token's header is not base64url",
        )
    })?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(header @ Value::Object(_)) => Ok(header),
        _ => Err(AuthError::new(
            Reason::MalformedHeader,
            "the token's header is not a JSON object",
        )),
    }
}

/// The header's algorithm, if it is one accepted.
fn algorithm(header: &Value) -> Result<Algorithm, AuthError> {
    let Some(alg) = header.get("alg").and_then(Value::as_str) else {
        return Err(AuthError::new(
            Reason::MalformedHeader,
            "the token's header names no algorithm (alg)",
        ));
    };
    if alg.eq_ignore_ascii_case("none") {
        return Err(AuthError::new(
            Reason::UnsignedToken,
            "the token is unsigned (alg none)",
        ));
    }
    if alg.starts_with("HS") {
        return Err(AuthError::new(
            Reason::SymmetricAlgorithm,
            format!(
                "the token is signed with a shared secret ({}): only EdDSA, ES256 and RS256 are accepted",
                quote(alg)
            ),
        ));
    }
    let accepted = alg
        .parse::<Algorithm>()
        .ok()
        .filter(|a| ACCEPTED.contains(a));
    accepted.ok_or_else(|| {
        AuthError::new(
            Reason::AlgorithmNotAccepted,
            format!(
                "the algorithm {} is not accepted: only EdDSA, ES256 and RS256",
                quote(alg)
            ),
        )
    })
}
