//! The issuer's public keys (a JWKS), from a file or from the issuer's OpenID discovery
//! document, cached and fetched again when a token names a key the cache does not hold
//! (the issuer rotated its keys) or when the cache is older than its maximum age.
//!
//! Refetching on an unknown `kid` is rate-limited ([`KeyConfig::min_refresh`]): a
//! flood of tokens with made-up key ids costs one fetch per interval, not one each.
//! When a fetch fails the keys already held stay in use; with none held, the call is
//! refused as UNAVAILABLE (the caller may retry) rather than as a bad token.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use tokio::sync::{Mutex, RwLock};

use crate::error::{AuthError, Reason};

/// The algorithms a token may be signed with: asymmetric only.
pub const ACCEPTED: [Algorithm; 3] = [Algorithm::EdDSA, Algorithm::ES256, Algorithm::RS256];

/// Where the keys come from.
#[derive(Clone)]
pub enum KeySource {
    /// A JWKS file, read again when it may have changed.
    File(PathBuf),
    /// The issuer's `/.well-known/openid-configuration`, whose `jwks_uri` is fetched.
    Discovery {
        issuer: String,
        http: reqwest::Client,
    },
    /// A fixed set (tests, and keys given inline).
    Fixed(JwkSet),
}

/// How keys are cached.
#[derive(Debug, Clone, Copy)]
pub struct KeyConfig {
    /// The least time between two fetches caused by unknown key ids.
    pub min_refresh: Duration,
    /// Keys older than this are fetched again before use (so removed keys go).
    pub max_age: Duration,
}

impl Default for KeyConfig {
    fn default() -> Self {
        Self {
            min_refresh: Duration::from_secs(10),
            max_age: Duration::from_secs(15 * 60),
        }
    }
}

/// A verification key and the one algorithm it verifies.
pub struct Key {
    pub decoding: DecodingKey,
    pub algorithm: Algorithm,
}

struct Cached {
    keys: HashMap<String, Arc<Key>>,
    fetched: Option<Instant>,
}

/// The cache of the issuer's keys; shared by every call.
pub struct Keys {
    source: KeySource,
    config: KeyConfig,
    cached: RwLock<Cached>,
    /// Held while fetching, so concurrent misses fetch once.
    fetching: Mutex<()>,
}

impl Keys {
    pub fn new(source: KeySource, config: KeyConfig) -> Self {
        Self {
            source,
            config,
            cached: RwLock::new(Cached {
                keys: HashMap::new(),
                fetched: None,
            }),
            fetching: Mutex::new(()),
        }
    }

    /// Fetches the keys now (at start-up: a wrong issuer or file shows at once).
    pub async fn load(&self) -> Result<usize, AuthError> {
        let _fetching = self.fetching.lock().await;
        self.fetch().await
    }

    /// The key named `kid`.
    pub async fn get(&self, kid: &str) -> Result<Arc<Key>, AuthError> {
        {
            let cached = self.cached.read().await;
            let fresh = cached
                .fetched
                .is_some_and(|at| at.elapsed() < self.config.max_age);
            if fresh && let Some(key) = cached.keys.get(kid) {
                return Ok(key.clone());
            }
        }
        let _fetching = self.fetching.lock().await;
        // Another call may have fetched while this one waited.
        let (due, held) = {
            let cached = self.cached.read().await;
            let due = cached.fetched.is_none_or(|at| {
                let age = at.elapsed();
                age >= self.config.max_age
                    || (!cached.keys.contains_key(kid) && age >= self.config.min_refresh)
            });
            (due, cached.keys.get(kid).cloned())
        };
        if due {
            match self.fetch().await {
                Ok(_) => {}
                Err(err) => {
                    if let Some(key) = held {
                        tracing::warn!(error = %err, "could not refresh the issuer's keys; using the ones held");
                        return Ok(key);
                    }
                    if self.cached.read().await.keys.is_empty() {
                        return Err(err);
                    }
                    tracing::warn!(error = %err, "could not refresh the issuer's keys");
                }
            }
        }
        let cached = self.cached.read().await;
        cached.keys.get(kid).cloned().ok_or_else(|| {
            AuthError::new(
                Reason::UnknownKey,
                format!(
                    "the token is signed with key {} which the issuer does not publish",
                    saman_domain::values::quote(kid)
                ),
            )
        })
    }

    async fn fetch(&self) -> Result<usize, AuthError> {
        let set = match &self.source {
            KeySource::File(path) => {
                let text = tokio::fs::read_to_string(path).await.map_err(|e| {
                    unavailable(format!("cannot read the key file {}: {e}", path.display()))
                })?;
                serde_json::from_str::<JwkSet>(&text).map_err(|e| {
                    unavailable(format!(
                        "the key file {} is not a JWKS: {e}",
                        path.display()
                    ))
                })?
            }
            KeySource::Discovery { issuer, http } => discover(http, issuer).await?,
            KeySource::Fixed(set) => set.clone(),
        };
        let keys = usable(&set);
        let n = keys.len();
        let mut cached = self.cached.write().await;
        cached.keys = keys;
        cached.fetched = Some(Instant::now());
        tracing::debug!(keys = n, "issuer keys loaded");
        Ok(n)
    }
}

fn unavailable(message: String) -> AuthError {
    AuthError::new(
        Reason::KeysUnavailable,
        format!("the issuer's signing keys are not available: {message}"),
    )
}

/// The keys of a set that can verify a token: asymmetric, for signing, with an id.
fn usable(set: &JwkSet) -> HashMap<String, Arc<Key>> {
    let mut out = HashMap::new();
    for jwk in &set.keys {
        let Some(kid) = jwk.common.key_id.clone() else {
            continue;
        };
        if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
            continue;
        }
        let Some(algorithm) = algorithm_of(jwk) else {
            tracing::debug!(kid, "issuer key skipped: not an accepted algorithm");
            continue;
        };
        match DecodingKey::from_jwk(jwk) {
            Ok(decoding) => {
                out.insert(
                    kid,
                    Arc::new(Key {
                        decoding,
                        algorithm,
                    }),
                );
            }
            Err(e) => tracing::warn!(kid, error = %e, "issuer key skipped: unreadable"),
        }
    }
    out
}

/// The accepted algorithm a key verifies: its `alg` if it says one, else what its
/// type and curve imply (RSA keys: RS256).
fn algorithm_of(jwk: &Jwk) -> Option<Algorithm> {
    let implied = match &jwk.algorithm {
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => {
            Algorithm::EdDSA
        }
        AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => Algorithm::ES256,
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        _ => return None,
    };
    match jwk.common.key_algorithm {
        None => Some(implied),
        Some(said) => {
            let said = Algorithm::try_from(said).ok()?;
            (said == implied).then_some(said)
        }
    }
}

#[derive(serde::Deserialize)]
struct Discovery {
    issuer: String,
    jwks_uri: String,
}

/// The issuer's discovery document, then its keys.
async fn discover(http: &reqwest::Client, issuer: &str) -> Result<JwkSet, AuthError> {
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let document: Discovery = get_json(http, &url).await?;
    // OpenID Connect Discovery 1.0, 4.3: the document must name the issuer it was
    // fetched for, or its keys are not that issuer's.
    if document.issuer != issuer {
        return Err(unavailable(format!(
            "{url} names the issuer {}, not {issuer}",
            document.issuer
        )));
    }
    get_json(http, &document.jwks_uri).await
}

async fn get_json<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
) -> Result<T, AuthError> {
    let response = http
        .get(url)
        .send()
        .await
        .map_err(|e| unavailable(format!("GET {url}: {}", error_chain(&e))))?;
    let status = response.status();
    if !status.is_success() {
        return Err(unavailable(format!("GET {url}: HTTP {status}")));
    }
    response
        .json()
        .await
        .map_err(|e| unavailable(format!("GET {url}: not the JSON expected: {e}")))
}

/// An error with its sources, the way people need it for TLS failures ("invalid peer
/// certificate: UnknownIssuer").
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}
