//! Signed events: intake signs every event it publishes, and a subscriber checks that an
//! event on the stream is intake's before it believes it (`docs/events.md`, "Verifying
//! events").
//!
//! - What is signed: the message's payload, the exact bytes of the
//!   `saman.events.v1.Envelope` (which holds the stream id, the version and the event id),
//!   with Ed25519 (RFC 8032). Nothing else: the subject and the other headers repeat the
//!   envelope for routing, and a subscriber believes the envelope.
//! - Where: the headers `Saman-Signature` (the 64 bytes, unpadded base64url) and
//!   `Saman-Key-Id` (which key signed).
//! - The keys: [`EventSigner`] is intake's private key (PKCS#8 PEM); [`EventKeys`] is
//!   the set of public keys a subscriber trusts, published as a JWKS (RFC 7517, keys of
//!   type `OKP`, curve `Ed25519`, RFC 8037). A key's id is its RFC 7638 thumbprint unless
//!   the operator names it. A rotation adds a key to the set; old keys stay in it, so that
//!   the history (and a rebuild from it) still verifies.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, spki::der::pem};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use rand::RngCore as _;
use serde_json::{Value, json};
use sha2::Digest as _;

use crate::nats::{HEADER_KEY_ID, HEADER_SIGNATURE};

/// The longest key id accepted, in characters (a thumbprint has 43): it is shown in
/// parked reasons and logs.
pub const MAX_KEY_ID_CHARS: usize = 64;

/// A key file or a set of keys that cannot be used, and why.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("not an Ed25519 private key in PKCS#8 PEM: {0}")]
    PrivateKey(String),
    #[error("not a JWKS of Ed25519 keys: {0}")]
    Jwks(String),
    #[error("key id {0:?}: {1}")]
    KeyId(String, &'static str),
}

/// Intake's signing key and its key id. Cheap to clone.
#[derive(Clone)]
pub struct EventSigner {
    key: Arc<SigningKey>,
    key_id: String,
}

impl fmt::Debug for EventSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the private key.
        f.debug_struct("EventSigner")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl EventSigner {
    /// A new random key, its id the thumbprint.
    pub fn generate() -> Self {
        let mut seed = [0u8; 32];
        rand::rng().fill_bytes(&mut seed);
        let key = SigningKey::from_bytes(&seed);
        seed.fill(0);
        Self::with_key(key, None).expect("a thumbprint is a valid key id")
    }

    /// The key of a PKCS#8 PEM text; its id `key_id`, or the thumbprint when `None`.
    pub fn from_pem(text: &str, key_id: Option<&str>) -> Result<Self, KeyError> {
        let key =
            SigningKey::from_pkcs8_pem(text).map_err(|e| KeyError::PrivateKey(e.to_string()))?;
        Self::with_key(key, key_id)
    }

    /// Reads the key from the PKCS#8 PEM file `path` (see [`EventSigner::from_pem`]).
    pub fn read(path: &Path, key_id: Option<&str>) -> Result<Self, KeyError> {
        let text = std::fs::read_to_string(path).map_err(|source| KeyError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_pem(&text, key_id)
    }

    fn with_key(key: SigningKey, key_id: Option<&str>) -> Result<Self, KeyError> {
        let key_id = match key_id {
            Some(id) => checked_key_id(id)?.to_owned(),
            None => thumbprint(&key.verifying_key()),
        };
        Ok(Self {
            key: Arc::new(key),
            key_id,
        })
    }

    /// The private key as PKCS#8 PEM, to keep in a file only intake reads.
    pub fn to_pem(&self) -> String {
        self.key
            .to_pkcs8_pem(pem::LineEnding::LF)
            .expect("an Ed25519 key encodes as PKCS#8")
            .to_string()
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The public half, for the set subscribers verify against.
    pub fn public(&self) -> EventKeys {
        let mut keys = EventKeys::default();
        keys.keys
            .insert(self.key_id.clone(), self.key.verifying_key());
        keys
    }

    /// The signature headers of a message whose payload is `payload`: (name, value).
    pub fn sign(&self, payload: &[u8]) -> [(&'static str, String); 2] {
        let signature = self.key.sign(payload);
        [
            (
                HEADER_SIGNATURE,
                URL_SAFE_NO_PAD.encode(signature.to_bytes()),
            ),
            (HEADER_KEY_ID, self.key_id.clone()),
        ]
    }
}

/// The public keys a subscriber trusts, by key id.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct EventKeys {
    keys: BTreeMap<String, VerifyingKey>,
}

impl fmt::Debug for EventKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.keys.keys()).finish()
    }
}

impl EventKeys {
    /// The keys of a JWKS (`{"keys": [...]}`): each must be `"kty": "OKP"`,
    /// `"crv": "Ed25519"` with `x` and a `kid`, and if it says so `"alg": "EdDSA"` and
    /// `"use": "sig"`. Anything else is refused, naming the key: the file is the
    /// operator's, and a key silently left out would park every event it signed.
    pub fn from_jwks(text: &str) -> Result<Self, KeyError> {
        let jwks: Value =
            serde_json::from_str(text).map_err(|e| KeyError::Jwks(format!("not JSON: {e}")))?;
        let list = jwks
            .get("keys")
            .and_then(Value::as_array)
            .ok_or_else(|| KeyError::Jwks("no \"keys\" array".into()))?;
        let mut keys = EventKeys::default();
        for (i, jwk) in list.iter().enumerate() {
            let field = |name: &str| jwk.get(name).and_then(Value::as_str);
            let bad = |what: &str| KeyError::Jwks(format!("keys[{i}]: {what}"));
            let kid = field("kid").ok_or_else(|| bad("no \"kid\""))?;
            let kid = checked_key_id(kid)?;
            if field("kty") != Some("OKP") || field("crv") != Some("Ed25519") {
                return Err(bad(
                    "not an Ed25519 key (\"kty\": \"OKP\", \"crv\": \"Ed25519\")",
                ));
            }
            if field("alg").is_some_and(|alg| alg != "EdDSA") {
                return Err(bad("\"alg\" is not \"EdDSA\""));
            }
            if field("use").is_some_and(|u| u != "sig") {
                return Err(bad("\"use\" is not \"sig\""));
            }
            let x = field("x").ok_or_else(|| bad("no \"x\""))?;
            let bytes: [u8; 32] = URL_SAFE_NO_PAD
                .decode(x)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| bad("\"x\" is not 32 bytes of unpadded base64url"))?;
            let key = VerifyingKey::from_bytes(&bytes)
                .map_err(|_| bad("\"x\" is not an Ed25519 public key"))?;
            if keys.keys.insert(kid.to_owned(), key).is_some() {
                return Err(bad("a \"kid\" given twice"));
            }
        }
        if keys.keys.is_empty() {
            return Err(KeyError::Jwks("no keys".into()));
        }
        Ok(keys)
    }

    /// Reads a JWKS file (see [`EventKeys::from_jwks`]).
    pub fn read(path: &Path) -> Result<Self, KeyError> {
        let text = std::fs::read_to_string(path).map_err(|source| KeyError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_jwks(&text)
    }

    /// The set as a JWKS, the keys by id.
    pub fn to_jwks(&self) -> Value {
        let keys: Vec<Value> = self
            .keys
            .iter()
            .map(|(kid, key)| {
                json!({
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "x": URL_SAFE_NO_PAD.encode(key.as_bytes()),
                    "kid": kid,
                    "alg": "EdDSA",
                    "use": "sig",
                })
            })
            .collect();
        json!({ "keys": keys })
    }

    /// Adds `other`'s keys (a rotation: the new key beside the old ones). A key id
    /// already held keeps its key.
    pub fn extend(&mut self, other: EventKeys) {
        for (kid, key) in other.keys {
            self.keys.entry(kid).or_insert(key);
        }
    }

    pub fn key_ids(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }

    /// Whether `payload` was signed by one of these keys, given the message's
    /// `Saman-Key-Id` and `Saman-Signature` header values.
    pub fn verify(
        &self,
        payload: &[u8],
        key_id: Option<&str>,
        signature: Option<&str>,
    ) -> Result<(), Unverified> {
        let Some(signature) = signature else {
            return Err(Unverified::Unsigned);
        };
        let Some(key_id) = key_id else {
            return Err(Unverified::Malformed(format!(
                "{HEADER_SIGNATURE} without {HEADER_KEY_ID}"
            )));
        };
        let signature = URL_SAFE_NO_PAD
            .decode(signature.trim())
            .ok()
            .and_then(|bytes| Signature::from_slice(&bytes).ok())
            .ok_or_else(|| {
                Unverified::Malformed(format!(
                    "{HEADER_SIGNATURE} is not 64 bytes of unpadded base64url"
                ))
            })?;
        let Some(key) = self.keys.get(key_id) else {
            return Err(Unverified::UnknownKey(shown(key_id)));
        };
        // Strict: no malleable signatures, no weak keys.
        key.verify_strict(payload, &signature)
            .map_err(|_| Unverified::BadSignature(shown(key_id)))
    }
}

/// Why an event is not believed: it stays out of every read model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unverified {
    /// No `Saman-Signature` header.
    Unsigned,
    /// Signed by a key the subscriber does not hold (the key id, cut to
    /// [`MAX_KEY_ID_CHARS`]).
    UnknownKey(String),
    /// Signature headers that are not what the contract says.
    Malformed(String),
    /// A signature that does not verify with the key it names: the payload is not what
    /// that key signed.
    BadSignature(String),
}

impl fmt::Display for Unverified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unverified::Unsigned => write!(f, "unsigned: no {HEADER_SIGNATURE} header"),
            Unverified::UnknownKey(kid) => write!(
                f,
                "signed by an unknown key: {HEADER_KEY_ID} {kid:?} is not among the event keys"
            ),
            Unverified::Malformed(what) => write!(f, "malformed signature: {what}"),
            Unverified::BadSignature(kid) => write!(
                f,
                "bad signature: the payload does not verify with key {kid:?}"
            ),
        }
    }
}

/// The RFC 7638 thumbprint of an Ed25519 public key: SHA-256 of its required JWK members
/// in lexicographic order without white space, in unpadded base64url.
pub fn thumbprint(key: &VerifyingKey) -> String {
    let x = URL_SAFE_NO_PAD.encode(key.as_bytes());
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(canonical.as_bytes()))
}

fn checked_key_id(id: &str) -> Result<&str, KeyError> {
    if id.is_empty() {
        return Err(KeyError::KeyId(id.to_owned(), "empty"));
    }
    if id.chars().count() > MAX_KEY_ID_CHARS {
        return Err(KeyError::KeyId(shown(id), "longer than 64 characters"));
    }
    // It travels in a NATS header: printable ASCII only.
    if !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(KeyError::KeyId(
            shown(id),
            "not printable ASCII without spaces",
        ));
    }
    Ok(id)
}

/// A key id from a message, cut for a reason or a log line.
fn shown(id: &str) -> String {
    if id.chars().count() <= MAX_KEY_ID_CHARS {
        id.to_owned()
    } else {
        let mut cut: String = id.chars().take(MAX_KEY_ID_CHARS - 1).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(signer: &EventSigner, payload: &[u8]) -> (String, String) {
        let [(sig_name, sig), (kid_name, kid)] = signer.sign(payload);
        assert_eq!((sig_name, kid_name), ("Saman-Signature", "Saman-Key-Id"));
        (kid, sig)
    }

    #[test]
    fn a_signature_verifies_with_the_published_key_and_only_over_the_same_bytes() {
        let signer = EventSigner::generate();
        let payload = b"an envelope";
        let (kid, sig) = headers(&signer, payload);
        assert_eq!(kid, signer.key_id());
        assert_eq!(sig.len(), 86, "64 bytes in unpadded base64url");

        // Through the JWKS a subscriber reads.
        let jwks = serde_json::to_string(&signer.public().to_jwks()).unwrap();
        let keys = EventKeys::from_jwks(&jwks).unwrap();
        assert_eq!(keys, signer.public());
        assert_eq!(keys.verify(payload, Some(&kid), Some(&sig)), Ok(()));

        // One byte changed: refused.
        assert_eq!(
            keys.verify(b"an envelopf", Some(&kid), Some(&sig)),
            Err(Unverified::BadSignature(kid.clone()))
        );
        // The private key survives PEM; its id is the thumbprint again.
        let again = EventSigner::from_pem(&signer.to_pem(), None).unwrap();
        assert_eq!(again.key_id(), signer.key_id());
        assert_eq!(headers(&again, payload).1, sig, "Ed25519 is deterministic");
    }

    #[test]
    fn each_refusal_says_why() {
        let signer = EventSigner::generate();
        let other = EventSigner::generate();
        let keys = signer.public();
        let payload = b"payload";
        let (kid, sig) = headers(&signer, payload);
        let (other_kid, other_sig) = headers(&other, payload);

        let unsigned = keys.verify(payload, Some(&kid), None).unwrap_err();
        assert_eq!(unsigned, Unverified::Unsigned);
        assert_eq!(unsigned.to_string(), "unsigned: no Saman-Signature header");

        let unknown = keys.verify(payload, Some(&other_kid), Some(&other_sig));
        assert_eq!(
            unknown.unwrap_err().to_string(),
            format!(
                "signed by an unknown key: Saman-Key-Id {other_kid:?} is not among the event keys"
            )
        );

        // Another key's signature under this key's id.
        let forged = keys.verify(payload, Some(&kid), Some(&other_sig));
        assert_eq!(
            forged.unwrap_err().to_string(),
            format!("bad signature: the payload does not verify with key {kid:?}")
        );

        assert_eq!(
            keys.verify(payload, None, Some(&sig))
                .unwrap_err()
                .to_string(),
            "malformed signature: Saman-Signature without Saman-Key-Id"
        );
        for garbage in ["", "not base64!", &sig[..40], &format!("{sig}AAAA")] {
            assert_eq!(
                keys.verify(payload, Some(&kid), Some(garbage))
                    .unwrap_err()
                    .to_string(),
                "malformed signature: Saman-Signature is not 64 bytes of unpadded base64url",
                "{garbage:?}"
            );
        }

        // A key id too long to show is cut.
        let long = "k".repeat(500);
        let Err(Unverified::UnknownKey(shown)) = keys.verify(payload, Some(&long), Some(&sig))
        else {
            panic!("an unknown key");
        };
        assert_eq!(shown.chars().count(), MAX_KEY_ID_CHARS);
    }

    #[test]
    fn a_rotation_keeps_the_old_key_and_a_named_key_id_is_used() {
        let old = EventSigner::generate();
        let new =
            EventSigner::from_pem(&EventSigner::generate().to_pem(), Some("2027-01")).unwrap();
        assert_eq!(new.key_id(), "2027-01");
        let mut keys = old.public();
        keys.extend(new.public());
        assert_eq!(keys.key_ids().count(), 2);
        for signer in [&old, &new] {
            let (kid, sig) = headers(signer, b"x");
            assert_eq!(keys.verify(b"x", Some(&kid), Some(&sig)), Ok(()));
        }
        let reread = EventKeys::from_jwks(&keys.to_jwks().to_string()).unwrap();
        assert_eq!(reread, keys);
    }

    #[test]
    fn the_thumbprint_is_rfc_8037s_example() {
        // RFC 8037 appendix A.3: the thumbprint of the example public key.
        let x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
        let bytes: [u8; 32] = URL_SAFE_NO_PAD.decode(x).unwrap().try_into().unwrap();
        let key = VerifyingKey::from_bytes(&bytes).unwrap();
        assert_eq!(
            thumbprint(&key),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
    }

    #[test]
    fn key_files_that_cannot_be_used_are_refused_naming_what_is_wrong() {
        let refused = |text: &str| EventKeys::from_jwks(text).unwrap_err().to_string();
        assert_eq!(
            refused("[]"),
            "not a JWKS of Ed25519 keys: no \"keys\" array"
        );
        assert_eq!(
            refused(r#"{"keys": []}"#),
            "not a JWKS of Ed25519 keys: no keys"
        );
        assert_eq!(
            refused(r#"{"keys": [{"kid": "a", "kty": "RSA", "n": "x", "e": "AQAB"}]}"#),
            "not a JWKS of Ed25519 keys: keys[0]: not an Ed25519 key (\"kty\": \"OKP\", \"crv\": \"Ed25519\")"
        );
        assert_eq!(
            refused(r#"{"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "AA"}]}"#),
            "not a JWKS of Ed25519 keys: keys[0]: no \"kid\""
        );
        assert_eq!(
            refused(r#"{"keys": [{"kid": "a", "kty": "OKP", "crv": "Ed25519", "x": "AA"}]}"#),
            "not a JWKS of Ed25519 keys: keys[0]: \"x\" is not 32 bytes of unpadded base64url"
        );
        let key = EventSigner::generate().public().to_jwks()["keys"][0].clone();
        let twice = json!({ "keys": [key, key] }).to_string();
        assert_eq!(
            refused(&twice),
            "not a JWKS of Ed25519 keys: keys[1]: a \"kid\" given twice"
        );
        let secret = EventSigner::generate().to_pem();
        assert!(EventSigner::from_pem(&secret, Some("has space")).is_err());
        assert!(
            EventSigner::from_pem(
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                None
            )
            .unwrap_err()
            .to_string()
            .starts_with("not an Ed25519 private key in PKCS#8 PEM")
        );
    }
}
