//! Tokens as an outside client would send them, signed for real (Ed25519, ES256, RS256
//! keys; an HMAC secret; none at all), against a verifier holding the issuer's JWKS:
//! every good one names its caller, every bad one is refused with its own reason and
//! message, and a key added at the issuer is picked up without a restart.

use std::collections::HashSet;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use saman_auth::dev::{AUDIENCE, DevKey, Identity, with_claim as with, without_claim as without};
use saman_auth::keys::{KeyConfig, KeySource, Keys};
use saman_auth::verify::{Expect, Verifier};
use saman_auth::{ClaimNames, Reason, Role};
use serde_json::{Value, json};

const ISSUER: &str = "https://id.saman.test";

struct Issuer {
    ed: DevKey,
    es: EncodingKey,
    rs: EncodingKey,
    forger: EncodingKey,
    es384: EncodingKey,
}

fn pem(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/keys/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn public(key: &EncodingKey, alg: Algorithm, kid: &str) -> Jwk {
    let mut jwk = Jwk::from_encoding_key(key, alg).expect("a public key");
    jwk.common.key_id = Some(kid.into());
    jwk.common.public_key_use = Some(PublicKeyUse::Signature);
    jwk.common.key_algorithm = Some(KeyAlgorithm::from(alg));
    jwk
}

impl Issuer {
    fn new() -> Self {
        Self {
            ed: DevKey::generate("k-ed").expect("an Ed25519 key"),
            es: EncodingKey::from_ec_pem(&pem("es256.pem")).expect("es256.pem"),
            rs: EncodingKey::from_rsa_pem(&pem("rs256.pem")).expect("rs256.pem"),
            forger: EncodingKey::from_ed_pem(&pem("other-ed25519.pem")).expect("ed25519"),
            es384: EncodingKey::from_ec_pem(&pem("es384.pem")).expect("es384.pem"),
        }
    }

    fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: vec![
                self.ed.public_jwk().clone(),
                public(&self.es, Algorithm::ES256, "k-es"),
                public(&self.rs, Algorithm::RS256, "k-rs"),
            ],
        }
    }

    fn verifier(&self) -> Verifier {
        let keys = Keys::new(KeySource::Fixed(self.jwks()), KeyConfig::default());
        Verifier::new(expect(), keys)
    }
}

fn expect() -> Expect {
    Expect {
        issuer: ISSUER.into(),
        audience: AUDIENCE.into(),
        leeway: Duration::from_secs(30),
        claims: ClaimNames::default(),
    }
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// The claims of a valid token of an approved NGO member.
fn member() -> Value {
    let identity: Identity = "member:ngo-01/m-001".parse().expect("an identity");
    identity.claims(ISSUER, Duration::from_secs(600), &ClaimNames::default())
}

fn sign(alg: Algorithm, kid: Option<&str>, claims: &Value, key: &EncodingKey) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, key).expect("signed")
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// A token whose parts are given as they are, signed over them with `key`.
fn raw(header: &Value, payload: &str, key: &EncodingKey, alg: Algorithm) -> String {
    let message = format!("{}.{payload}", b64(header));
    let signature = jsonwebtoken::crypto::sign(message.as_bytes(), key, alg).expect("signed");
    format!("{message}.{signature}")
}

fn bearer(token: &str) -> Option<Vec<u8>> {
    Some(format!("Bearer {token}").into_bytes())
}

#[tokio::test]
async fn good_tokens_of_every_accepted_algorithm_name_their_caller() {
    let issuer = Issuer::new();
    let verifier = issuer.verifier();
    let claims = member();
    for token in [
        issuer.ed.sign(&claims).expect("signed"),
        sign(Algorithm::ES256, Some("k-es"), &claims, &issuer.es),
        sign(Algorithm::RS256, Some("k-rs"), &claims, &issuer.rs),
    ] {
        let principal = verifier
            .verify_header(bearer(&token).as_deref())
            .await
            .expect("a good token");
        assert_eq!(principal.principal.issuer.as_str(), ISSUER);
        assert_eq!(
            principal.principal.subject.as_str(),
            "ngo-member:ngo-01/m-001"
        );
        assert_eq!(principal.roles, [Role::NgoMember]);
        assert_eq!(
            principal.actors[0].to_string(),
            "member m-001 of NGO ngo-01"
        );
    }
}

#[tokio::test]
async fn bad_tokens_are_refused_each_with_its_reason_and_message() {
    let issuer = Issuer::new();
    let verifier = issuer.verifier();
    let ed = |claims: &Value| issuer.ed.sign(claims).expect("signed");
    let good = ed(&member());
    let (good_head, good_rest) = good.split_once('.').expect("a JWT");
    let (_, good_signature) = good_rest.split_once('.').expect("a JWT");
    let ed_header = json!({"alg": "EdDSA", "kid": "k-ed", "typ": "JWT"});
    let hour = 3600;

    let mut cases: Vec<(&str, Option<Vec<u8>>, Reason, &str)> = vec![
        (
            "no header",
            None,
            Reason::MissingCredentials,
            "no credentials",
        ),
        (
            "basic scheme",
            Some(b"Basic YWxpY2U6c2VjcmV0".to_vec()),
            Reason::NotBearer,
            "scheme Basic is not Bearer",
        ),
        (
            "header not text",
            Some(b"Bearer \xff\xfe".to_vec()),
            Reason::NotBearer,
            "not text",
        ),
        ("empty token", bearer(""), Reason::EmptyToken, "empty"),
        (
            "too long",
            bearer(&"a".repeat(9000)),
            Reason::TokenTooLong,
            "9000 bytes",
        ),
        (
            "two parts",
            bearer("abc.def"),
            Reason::MalformedToken,
            "this has 2",
        ),
        (
            "header not base64url",
            bearer("!!!.e30.sig"),
            Reason::MalformedHeader,
            "not base64url",
        ),
        (
            "header not an object",
            bearer(&format!("{}.e30.sig", b64(&json!([1])))),
            Reason::MalformedHeader,
            "not a JSON object",
        ),
        (
            "header without alg",
            bearer(&format!("{}.e30.sig", b64(&json!({"kid": "k-ed"})))),
            Reason::MalformedHeader,
            "no algorithm",
        ),
        (
            "alg none",
            bearer(&format!(
                "{}.{}.",
                b64(&json!({"alg": "none", "kid": "k-ed"})),
                b64(&member())
            )),
            Reason::UnsignedToken,
            "unsigned",
        ),
        (
            "HMAC secret",
            bearer(&sign(
                Algorithm::HS256,
                Some("k-ed"),
                &member(),
                &EncodingKey::from_secret(b"a shared secret"),
            )),
            Reason::SymmetricAlgorithm,
            "shared secret (HS256)",
        ),
        (
            "ES384 not accepted",
            bearer(&sign(
                Algorithm::ES384,
                Some("k-es"),
                &member(),
                &issuer.es384,
            )),
            Reason::AlgorithmNotAccepted,
            "ES384 is not accepted",
        ),
        (
            "no kid",
            bearer(&sign(Algorithm::EdDSA, None, &member(), &issuer.forger)),
            Reason::NoKeyId,
            "no signing key (kid)",
        ),
        (
            "unknown kid",
            bearer(&sign(
                Algorithm::EdDSA,
                Some("k-gone"),
                &member(),
                &issuer.forger,
            )),
            Reason::UnknownKey,
            "key k-gone",
        ),
        (
            "algorithm of another key",
            bearer(&sign(Algorithm::ES256, Some("k-ed"), &member(), &issuer.es)),
            Reason::KeyAlgorithmMismatch,
            "says ES256",
        ),
        (
            "signed by a forger",
            bearer(&sign(
                Algorithm::EdDSA,
                Some("k-ed"),
                &member(),
                &issuer.forger,
            )),
            Reason::BadSignature,
            "does not verify",
        ),
        (
            "claims changed after signing",
            bearer(&format!(
                "{good_head}.{}.{good_signature}",
                b64(&with(member(), "saman_ngo", json!("ngo-02")))
            )),
            Reason::BadSignature,
            "does not verify",
        ),
        (
            "claims not JSON",
            bearer(&raw(
                &ed_header,
                &URL_SAFE_NO_PAD.encode("not json"),
                &ed_encoding(&issuer),
                Algorithm::EdDSA,
            )),
            Reason::MalformedClaims,
            "not readable JSON",
        ),
    ];
    // The member's own token with one claim changed: (case, claim, its value, reason,
    // what the message says).
    let (an_hour_ago, in_an_hour) = (json!(now() - hour), json!(now() + hour));
    let changed = [
        ("expired", "exp", an_hour_ago, Reason::Expired, "expired at"),
        (
            "not yet valid",
            "nbf",
            in_an_hour,
            Reason::NotYetValid,
            "not valid before",
        ),
        (
            "exp not a number",
            "exp",
            json!("tomorrow"),
            Reason::MalformedClaims,
            "exp claim has the wrong type",
        ),
        (
            "another issuer",
            "iss",
            json!("https://evil.example"),
            Reason::WrongIssuer,
            "issuer https://evil.example",
        ),
        (
            "another audience",
            "aud",
            json!("grafana"),
            Reason::WrongAudience,
            "for grafana",
        ),
        (
            "no role of the programme",
            "roles",
            json!(["admin"]),
            Reason::NoRole,
            "no role of the programme",
        ),
        (
            "member of a malformed NGO",
            "saman_ngo",
            json!("NGO 1!"),
            Reason::InvalidClaim,
            "the claim `saman_ngo`",
        ),
    ];
    for (case, claim, value, reason, says) in changed {
        cases.push((
            case,
            bearer(&ed(&with(member(), claim, value))),
            reason,
            says,
        ));
    }
    // The member's own token without one claim.
    let removed = [
        ("no issuer", "iss", Reason::MissingClaim, "no iss claim"),
        ("no audience", "aud", Reason::MissingClaim, "no aud claim"),
        ("no expiry", "exp", Reason::MissingClaim, "no exp claim"),
        ("no subject", "sub", Reason::MissingClaim, "no sub claim"),
        (
            "member without an NGO",
            "saman_ngo",
            Reason::MissingClaim,
            "claim `saman_ngo`",
        ),
    ];
    for (case, claim, reason, says) in removed {
        cases.push((case, bearer(&ed(&without(member(), claim))), reason, says));
    }

    let mut messages = HashSet::new();
    for (name, header, reason, fragment) in &cases {
        let err = verifier
            .verify_header(header.as_deref())
            .await
            .expect_err(name);
        assert_eq!(err.reason, *reason, "{name}: {}", err.message);
        assert!(
            err.message.contains(fragment),
            "{name}: {:?} does not say {fragment:?}",
            err.message
        );
        assert!(err.message.len() < 300, "{name}: a long message");
        let status = err.to_status("saman.test");
        assert_eq!(status.code(), tonic::Code::Unauthenticated, "{name}");
        messages.insert(err.message);
    }
    assert!(
        messages.len() >= 25,
        "{} distinct messages for {} cases",
        messages.len(),
        cases.len()
    );
}

fn ed_encoding(issuer: &Issuer) -> EncodingKey {
    EncodingKey::from_ed_pem(issuer.ed.pem().as_bytes()).expect("the issuer's key")
}

#[tokio::test]
async fn a_rotated_key_is_picked_up_from_the_file_without_a_restart() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("jwks.json");
    let old = DevKey::generate("k-2026-11").expect("a key");
    let new = DevKey::generate("k-2026-12").expect("a key");
    let write = |keys: &[&DevKey]| {
        std::fs::write(
            &path,
            serde_json::to_string(&DevKey::jwks(keys)).expect("json"),
        )
        .expect("written")
    };
    write(&[&old]);
    let keys = Keys::new(
        KeySource::File(path.clone()),
        KeyConfig {
            min_refresh: Duration::ZERO,
            max_age: Duration::from_secs(3600),
        },
    );
    keys.load().await.expect("keys");
    let verifier = Verifier::new(expect(), keys);
    let identity: Identity = "office:sara".parse().expect("an identity");
    let token = |key: &DevKey| {
        key.mint(&identity, ISSUER, Duration::from_secs(60))
            .expect("minted")
    };

    verifier.verify(&token(&old)).await.expect("the old key");
    let err = verifier
        .verify(&token(&new))
        .await
        .expect_err("not published yet");
    assert_eq!(err.reason, Reason::UnknownKey);

    write(&[&old, &new]);
    let principal = verifier.verify(&token(&new)).await.expect("the new key");
    assert_eq!(principal.actors[0].to_string(), "programme office (sara)");

    write(&[&new]);
    // The old key is still held until the cache is refreshed; a token with an unknown
    // key refreshes it, and then the old key is gone.
    let err = verifier
        .verify(&token(&DevKey::generate("k-other").expect("a key")))
        .await
        .expect_err("unknown");
    assert_eq!(err.reason, Reason::UnknownKey);
    let err = verifier.verify(&token(&old)).await.expect_err("retired");
    assert_eq!(err.reason, Reason::UnknownKey);
}
