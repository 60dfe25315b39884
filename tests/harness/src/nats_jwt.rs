//! What a nats-server in operator (JWT) mode needs, made as `nsc` makes it: an operator,
//! a system account and Saman's account (JetStream on), and for each user a JWT with the
//! permissions of the shipped `saman-permissions.conf` and a `.creds` file.
//!
//! The JWTs are built here, with serde_json and the `nkeys` crate, rather than with a
//! NATS JWT crate: the crates on crates.io for it are early ports (0.x, little used or
//! documented), one without JetStream limits, one that regenerates its own source at
//! every build. The format is small and the test server checks every token anyway.
//!
//! The format (nats-io/jwt v2, as nats-server 2.9 and 2.10 read it): a header
//! `{"typ":"JWT","alg":"ed25519-nkey"}`, the claims (`jti`: base32 of the SHA-512/256 of
//! the claims with an empty `jti`, as nats-io/jwt v2 and `nsc` hash them; `iat`, `iss`, `sub`, `name`, and `nats` with `type` and
//! `version: 2`), each base64url without padding, and the issuer's Ed25519 signature
//! of `header.claims`, likewise encoded.

use anyhow::{Context, bail};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use nkeys::KeyPair;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha512_256};

/// A signed NATS JWT: `claims` as `issuer` says them of `subject` (a public key).
pub(crate) fn encode(
    issuer: &KeyPair,
    subject: &str,
    name: &str,
    nats: Value,
) -> anyhow::Result<String> {
    let iat = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .context("the clock is before 1970")?
        .as_secs();
    let mut claims = json!({
        "iat": iat,
        "iss": issuer.public_key(),
        "sub": subject,
        "name": name,
        "nats": nats,
    });
    // nats-io/jwt hashes the claims with an empty `jti`, then sets it.
    claims["jti"] = json!("");
    let digest = Sha512_256::digest(serde_json::to_vec(&claims)?);
    claims["jti"] = json!(data_encoding::BASE32_NOPAD.encode(&digest));
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ed25519-nkey"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims)?);
    let signed = format!("{header}.{payload}");
    let signature = issuer
        .sign(signed.as_bytes())
        .context("signing a NATS JWT")?;
    Ok(format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature)))
}

/// A self-signed operator JWT naming `system_account` as the server's system account.
pub(crate) fn operator(operator: &KeyPair, system_account: &str) -> anyhow::Result<String> {
    encode(
        operator,
        &operator.public_key(),
        "saman-test",
        json!({ "type": "operator", "version": 2, "system_account": system_account }),
    )
}

/// An account JWT signed by `operator`; with `jetstream`, the account may use JetStream
/// without limits (without, JetStream is off in the account: `mem_storage` and
/// `disk_storage` 0).
pub(crate) fn account(
    operator: &KeyPair,
    account: &str,
    name: &str,
    jetstream: bool,
) -> anyhow::Result<String> {
    let mut limits = json!({
        "subs": -1, "data": -1, "payload": -1, "imports": -1, "exports": -1,
        "wildcards": true, "conn": -1, "leaf": -1,
    });
    if jetstream {
        for limit in ["mem_storage", "disk_storage", "streams", "consumer"] {
            limits[limit] = json!(-1);
        }
    }
    encode(
        operator,
        account,
        name,
        json!({ "type": "account", "version": 2, "limits": limits }),
    )
}

/// A user JWT signed by (and so of) `account`, with `permissions` (`{"pub": ..., "sub":
/// ...}`; empty: all rights).
pub(crate) fn user(
    account: &KeyPair,
    user: &str,
    name: &str,
    permissions: Map<String, Value>,
) -> anyhow::Result<String> {
    let mut nats = permissions;
    nats.insert("type".into(), json!("user"));
    nats.insert("version".into(), json!(2));
    // -1: no limit. Left out, nats-server reads 0: no subscription, no payload.
    for limit in ["subs", "data", "payload"] {
        nats.insert(limit.into(), json!(-1));
    }
    encode(account, user, name, Value::Object(nats))
}

/// A `.creds` file's text, as `nsc` writes it: the user's JWT and its NKey seed.
pub(crate) fn creds(jwt: &str, user: &KeyPair) -> anyhow::Result<String> {
    let seed = user.seed().context("the user's NKey has no seed")?;
    Ok(format!(
        "-----BEGIN NATS USER JWT-----\n{jwt}\n------END NATS USER JWT------\n\n\
         ************************* IMPORTANT *************************\n\
         NKEY Seed printed below can be used to sign and prove identity.\n\
         NKEYs are sensitive and should be treated as secrets.\n\n\
         -----BEGIN USER NKEY SEED-----\n{seed}\n------END USER NKEY SEED------\n\n\
         *************************************************************\n"
    ))
}

/// The permissions variable `name` of a nats-server configuration `text` (such as
/// `saman-permissions.conf`) as a user JWT's `pub` and `sub`: the same rights, written
/// once, in the shipped file.
pub(crate) fn permissions(text: &str, name: &str) -> anyhow::Result<Map<String, Value>> {
    let variables = parse_conf(text)?;
    let variable = variables
        .get(name)
        .with_context(|| format!("no variable {name} in the permissions file"))?;
    let mut permissions = Map::new();
    for (conf, jwt) in [("publish", "pub"), ("subscribe", "sub")] {
        let Some(lists) = variable.get(conf) else {
            continue;
        };
        let mut permission = Map::new();
        for list in ["allow", "deny"] {
            if let Some(subjects) = lists.get(list) {
                permission.insert(list.into(), subjects.clone());
            }
        }
        permissions.insert(jwt.into(), Value::Object(permission));
    }
    Ok(permissions)
}

/// The part of nats-server's configuration format that `saman-permissions.conf` uses:
/// `NAME = { key: { key: [ "subject" ... ] } }`, with `#` comments; `=` and `:` alike,
/// commas optional. Anything else is an error, never a guess.
fn parse_conf(text: &str) -> anyhow::Result<Map<String, Value>> {
    let tokens = tokenize(text)?;
    let mut at = 0;
    let map = parse_map(&tokens, &mut at, false)?;
    Ok(map)
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open(char),
    Close(char),
    Word(String),
}

fn tokenize(text: &str) -> anyhow::Result<Vec<Token>> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '#' => while chars.next_if(|&c| c != '\n').is_some() {},
            c if c.is_whitespace() || matches!(c, '=' | ':' | ',' | ';') => {}
            '{' | '[' => tokens.push(Token::Open(c)),
            '}' | ']' => tokens.push(Token::Close(c)),
            '"' => {
                let mut word = String::new();
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => bail!("an escape in a quoted string: not supported"),
                        Some(c) => word.push(c),
                        None => bail!("a quoted string without its end"),
                    }
                }
                tokens.push(Token::Word(word));
            }
            c => {
                let mut word = String::from(c);
                while let Some(c) =
                    chars.next_if(|&c| !c.is_whitespace() && !"{}[]=:,;#\"".contains(c))
                {
                    word.push(c);
                }
                tokens.push(Token::Word(word));
            }
        }
    }
    Ok(tokens)
}

fn parse_map(tokens: &[Token], at: &mut usize, nested: bool) -> anyhow::Result<Map<String, Value>> {
    let mut map = Map::new();
    loop {
        match tokens.get(*at) {
            None if !nested => return Ok(map),
            Some(Token::Close('}')) if nested => {
                *at += 1;
                return Ok(map);
            }
            Some(Token::Word(key)) => {
                *at += 1;
                let value = parse_value(tokens, at)?;
                map.insert(key.clone(), value);
            }
            other => bail!("unexpected {other:?} where a key was expected"),
        }
    }
}

fn parse_value(tokens: &[Token], at: &mut usize) -> anyhow::Result<Value> {
    let token = tokens.get(*at).context("a key without its value")?;
    *at += 1;
    match token {
        Token::Word(word) => Ok(Value::String(word.clone())),
        Token::Open('{') => Ok(Value::Object(parse_map(tokens, at, true)?)),
        Token::Open('[') => {
            let mut list = Vec::new();
            loop {
                if tokens.get(*at) == Some(&Token::Close(']')) {
                    *at += 1;
                    return Ok(Value::Array(list));
                }
                list.push(parse_value(tokens, at)?);
            }
        }
        other => bail!("unexpected {other:?} where a value was expected"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIPPED: &str = include_str!("../../../deploy/nats/saman-permissions.conf");

    fn strings(value: &Value) -> Vec<&str> {
        value
            .as_array()
            .expect("a list")
            .iter()
            .map(|v| v.as_str().expect("a subject"))
            .collect()
    }

    #[test]
    fn the_shipped_permissions_read_as_jwt_permissions() {
        let intake = permissions(SHIPPED, "SAMAN_INTAKE_PERMISSIONS").unwrap();
        let publish = strings(&intake["pub"]["allow"]);
        assert_eq!(publish[0], "saman.events.v1.>");
        assert!(publish.contains(&"$JS.API.STREAM.CREATE.SAMAN_EVENTS"));
        assert_eq!(strings(&intake["sub"]["allow"]), ["_INBOX.>"]);
        assert!(intake["pub"].get("deny").is_none());

        let projection = permissions(SHIPPED, "SAMAN_PROJECTION_PERMISSIONS").unwrap();
        assert!(!strings(&projection["pub"]["allow"]).contains(&"saman.events.v1.>"));

        let subscriber = permissions(SHIPPED, "SAMAN_SUBSCRIBER_PERMISSIONS").unwrap();
        let deny = strings(&subscriber["pub"]["deny"]);
        assert_eq!(deny.len(), 4, "{deny:?}");
        assert!(deny.contains(&"$JS.ACK.SAMAN_EVENTS.saman-projection.>"));
        assert_eq!(
            strings(&subscriber["pub"]["allow"]),
            strings(&projection["pub"]["allow"]),
            "the subscriber reads as the projection does"
        );

        assert!(permissions(SHIPPED, "SAMAN_NOBODY").is_err());
    }

    #[test]
    fn what_the_reader_does_not_know_is_an_error() {
        for text in [
            "A = { b: [ \"x\" }",
            "A = \"unterminated",
            "A = { b: \"\\\"\" }",
            "}",
        ] {
            assert!(parse_conf(text).is_err(), "{text}");
        }
        let map = parse_conf("A = { b = [x, \"y z\"] } # a comment\nC: d").unwrap();
        assert_eq!(map["A"]["b"], json!(["x", "y z"]));
        assert_eq!(map["C"], json!("d"));
    }

    #[test]
    fn a_jwt_is_signed_by_its_issuer_over_header_and_claims() {
        let account = KeyPair::new_account();
        let user = KeyPair::new_user();
        let token = super::user(&account, &user.public_key(), "intake", Map::new()).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header, json!({"typ": "JWT", "alg": "ed25519-nkey"}));
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["iss"], json!(account.public_key()));
        assert_eq!(claims["sub"], json!(user.public_key()));
        assert_eq!(claims["nats"]["type"], json!("user"));
        assert_eq!(claims["nats"]["subs"], json!(-1));
        let jti = claims["jti"].as_str().unwrap();
        assert_eq!(
            data_encoding::BASE32_NOPAD
                .decode(jti.as_bytes())
                .unwrap()
                .len(),
            32
        );
        let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        let signed = format!("{}.{}", parts[0], parts[1]);
        account.verify(signed.as_bytes(), &signature).unwrap();
        assert!(user.verify(signed.as_bytes(), &signature).is_err());
    }

    #[test]
    fn a_creds_file_reads_as_async_nats_reads_nscs() {
        let account = KeyPair::new_account();
        let user = KeyPair::new_user();
        let token = super::user(&account, &user.public_key(), "intake", Map::new()).unwrap();
        let text = creds(&token, &user).unwrap();
        assert!(text.starts_with("-----BEGIN NATS USER JWT-----\n"));
        assert!(text.contains("------END USER NKEY SEED------\n"));
        async_nats::ConnectOptions::with_credentials(&text).expect("async-nats reads it");
    }
}
