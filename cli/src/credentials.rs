//! The token each call carries: the one given (`--token`, `SAMAN_TOKEN`), or, with the
//! development signing key (`--dev-key`, made by `scripts/dev` under `.saman/`), one
//! minted for each write's actor and an operator's for the projection; without either,
//! the one `saman login` kept (renewed when it is about to expire). Without any, calls
//! go without a token and a service with authentication on refuses them.

use std::time::Duration;

use saman_auth::dev::{DevKey, Identity};
use saman_proto::events::v1 as events;
use tonic::metadata::AsciiMetadataValue;

use crate::actor::ActorArg;
use crate::args::Global;
use crate::error::{CliError, Kind};

/// How long a minted token is valid.
const MINTED_FOR: Duration = Duration::from_secs(10 * 60);

pub enum Credentials {
    None,
    Token(AsciiMetadataValue),
    DevKey { key: Box<DevKey>, issuer: String },
}

impl Credentials {
    pub async fn of(global: &Global) -> Result<Self, CliError> {
        if let Some(token) = &global.token {
            return Ok(Self::Token(bearer(token)?));
        }
        if let Some(path) = &global.dev_key {
            return Ok(Self::DevKey {
                key: Box::new(read_dev_key(path)?),
                issuer: global.dev_issuer.clone(),
            });
        }
        match crate::login::cached_token().await? {
            Some(token) => Ok(Self::Token(bearer(&token)?)),
            None => Ok(Self::None),
        }
    }

    /// The development key, for `saman token mint`; refuses without one.
    pub fn dev_key(global: &Global) -> Result<(DevKey, String), CliError> {
        match &global.dev_key {
            Some(path) => Ok((read_dev_key(path)?, global.dev_issuer.clone())),
            None => Err(CliError::new(
                Kind::InvalidArgument,
                "minting needs the development signing key: pass --dev-key (SAMAN_DEV_KEY), \
                 e.g. .saman/dev-signing-key.pem as scripts/dev makes it; real tokens come \
                 from the identity provider (docs/security.md)",
            )),
        }
    }

    /// The `authorization` of a write made as `actor`.
    pub fn for_write(
        &self,
        actor: Option<&events::Actor>,
    ) -> Result<Option<AsciiMetadataValue>, CliError> {
        match self {
            Self::None => Ok(None),
            Self::Token(token) => Ok(Some(token.clone())),
            Self::DevKey { key, issuer } => {
                let Some(kind) = actor.and_then(|a| a.kind.clone()) else {
                    return Ok(None);
                };
                mint(key, issuer, &ActorArg(kind).to_string()).map(Some)
            }
        }
    }

    /// The `authorization` of a call to the projection: an operator's with the
    /// development key (it may read and administer).
    pub fn for_projection(&self) -> Result<Option<AsciiMetadataValue>, CliError> {
        match self {
            Self::None => Ok(None),
            Self::Token(token) => Ok(Some(token.clone())),
            Self::DevKey { key, issuer } => {
                let user = std::env::var("USER").unwrap_or_else(|_| "cli".into());
                mint(key, issuer, &format!("operator:{user}")).map(Some)
            }
        }
    }
}

fn read_dev_key(path: &std::path::Path) -> Result<DevKey, CliError> {
    DevKey::read(path)
        .map_err(|e| CliError::new(Kind::InvalidArgument, format!("--dev-key: {e:#}")))
}

/// A token of `identity` signed with the development key, as a header value.
pub fn mint(key: &DevKey, issuer: &str, identity: &str) -> Result<AsciiMetadataValue, CliError> {
    let token = mint_token(key, issuer, identity, MINTED_FOR)?;
    bearer(&token)
}

pub fn mint_token(
    key: &DevKey,
    issuer: &str,
    identity: &str,
    ttl: Duration,
) -> Result<String, CliError> {
    let identity: Identity = identity
        .parse()
        .map_err(|e: String| CliError::new(Kind::InvalidArgument, format!("--as: {e}")))?;
    key.mint(&identity, issuer, ttl)
        .map_err(|e| CliError::new(Kind::InvalidArgument, format!("cannot mint a token: {e:#}")))
}

fn bearer(token: &str) -> Result<AsciiMetadataValue, CliError> {
    format!("Bearer {}", token.trim()).parse().map_err(|_| {
        CliError::new(
            Kind::InvalidArgument,
            "--token: not a token (it must be ASCII)",
        )
    })
}
